import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOCALE,
  dictionaries,
  LOCALES,
  localeFromAcceptLanguage,
  type MessageKey,
  normalizeLocale,
  translator,
} from './i18n';
import en from './locales/en.json';
import es from './locales/es.json';
import pt from './locales/pt-BR.json';

// The JSON files themselves, not the typed dictionaries: a key added to one file only must fail here.
const files: Record<string, Record<string, unknown>> = { en, es, 'pt-BR': pt };
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  it('there is one file per supported language', () => {
    expect(Object.keys(files).sort()).toEqual([...LOCALES].sort());
    expect(Object.keys(dictionaries).sort()).toEqual([...LOCALES].sort());
  });

  it.each(LOCALES)('%s has exactly the keys of English, no more and no fewer', (locale) => {
    const keys = Object.keys(files[locale] ?? {});
    const reference = Object.keys(en);
    expect(reference.filter((k) => !keys.includes(k))).toEqual([]);
    expect(keys.filter((k) => !reference.includes(k))).toEqual([]);
  });

  it.each(LOCALES)('%s: every string is non-empty text with the same {placeholders} as English', (locale) => {
    for (const [key, value] of Object.entries(files[locale] ?? {})) {
      if (!(key in en)) continue; // reported by the key test above
      expect(typeof value, `${locale} ${key}`).toBe('string');
      expect((value as string).trim(), `${locale} ${key}`).not.toBe('');
      expect(placeholders(value as string), `${locale} ${key}`).toEqual(placeholders(en[key as MessageKey]));
    }
  });
});

describe('translator', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    const t = translator('en');
    expect(t('search.found', { n: 3 })).toBe('3 tickets found');
    expect(t('search.found')).toBe('{n} tickets found');
    expect(t('nav.signedInAs', { other: 'x' })).toBe('Signed in to {tenant}');
  });

  it('inserts parameters as plain text, once ($ patterns and braces in values are not expanded)', () => {
    const t = translator('en');
    expect(t('nav.signedInAs', { tenant: "$& $' {tenant}" })).toBe("Signed in to $& $' {tenant}");
  });

  it('speaks the reader’s language', () => {
    expect(translator('pt-BR')('nav.logout')).toBe(pt['nav.logout']);
    expect(translator('es')('nav.logout')).toBe(es['nav.logout']);
    expect(translator('pt-BR')('nav.logout')).not.toBe(translator('en')('nav.logout'));
  });
});

describe('choosing the language', () => {
  it.each([
    ['pt', 'pt-BR'],
    ['pt_BR', 'pt-BR'],
    ['PT-br', 'pt-BR'],
    ['pt-PT', 'pt-BR'],
    ['es-CO', 'es'],
    ['en-US', 'en'],
    [' en ', 'en'],
    ['fr', null],
    ['', null],
    [null, null],
  ] as const)('normalizeLocale(%j) → %j', (value, locale) => {
    expect(normalizeLocale(value)).toBe(locale);
  });

  it('follows Accept-Language quality order, skipping unsupported languages', () => {
    expect(localeFromAcceptLanguage('es-CO,es;q=0.9,en;q=0.5')).toBe('es');
    expect(localeFromAcceptLanguage('en;q=0.2, es;q=0.9')).toBe('es');
    expect(localeFromAcceptLanguage('fr-FR, de;q=0.9, en;q=0.1')).toBe('en');
    expect(localeFromAcceptLanguage('en, pt-BR')).toBe('en');
  });

  it('falls back to Brazilian Portuguese for no header, nothing supported or a malformed header', () => {
    expect(DEFAULT_LOCALE).toBe('pt-BR');
    expect(localeFromAcceptLanguage(null)).toBe('pt-BR');
    expect(localeFromAcceptLanguage('fr, de')).toBe('pt-BR');
    expect(localeFromAcceptLanguage(';;,q=,*')).toBe('pt-BR');
  });
});
