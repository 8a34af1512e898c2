/**
 * UI strings in Brazilian Portuguese, Spanish and English, picked from the portal or browser. Each
 * language is one file in ./locales; English names the keys, and i18n.test.ts checks that every
 * language has exactly the same keys and placeholders.
 */
import en from './locales/en.json';
import es from './locales/es.json';
import pt from './locales/pt-BR.json';

export const LOCALES = ['pt-BR', 'es', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'pt-BR';
export const LANG_COOKIE = 'tv_lang';

export const LOCALE_NAMES: Record<Locale, string> = { 'pt-BR': 'Português', es: 'Español', en: 'English' };

/** 'pt', 'pt_BR', 'pt-br', 'es-CO', 'en-US'… → a supported locale, or null. */
export function normalizeLocale(value: string | null | undefined): Locale | null {
  if (!value) return null;
  const base = value.trim().toLowerCase().replace('_', '-').split('-')[0];
  if (base === 'pt') return 'pt-BR';
  if (base === 'es') return 'es';
  if (base === 'en') return 'en';
  return null;
}

/** The best supported language of an Accept-Language header (quality order). */
export function localeFromAcceptLanguage(header: string | null | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  const ranked = header
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag ?? '', q: q ? Number(q.slice(2)) || 0 : 1, i };
    })
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    const locale = normalizeLocale(tag);
    if (locale) return locale;
  }
  return DEFAULT_LOCALE;
}

export type MessageKey = keyof typeof en;

export const dictionaries: Record<Locale, Record<MessageKey, string>> = { 'pt-BR': pt, es, en };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const dict = dictionaries[locale] ?? en;
  return (key, params) => {
    const template = dict[key] ?? en[key] ?? key;
    if (!params) return template;
    return template.replace(/\{(\w+)\}/g, (m, name: string) =>
      params[name] === undefined ? m : String(params[name]),
    );
  };
}
