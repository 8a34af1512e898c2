import { describe, expect, it } from 'vitest';
import { LANG_COOKIE } from './i18n';
import { langCookie } from './lang-cookie';

describe('langCookie', () => {
  it('inside the portal (https, cross-site iframe) the cookie is Secure, SameSite=None and Partitioned, or the browser drops it', () => {
    const cookie = langCookie('pt-BR', true);
    expect(cookie.startsWith(`${LANG_COOKIE}=pt-BR;`)).toBe(true);
    expect(cookie).toContain('; Secure');
    expect(cookie).toContain('; SameSite=None');
    expect(cookie).toContain('; Partitioned');
  });

  it('over plain http it is SameSite=Lax without Secure (a Secure cookie would not be stored)', () => {
    const cookie = langCookie('es', false);
    expect(cookie).toContain('; SameSite=Lax');
    expect(cookie).not.toContain('Secure');
    expect(cookie).not.toContain('Partitioned');
  });

  it('is site-wide and lasts a year', () => {
    expect(langCookie('en', true)).toMatch(/; Path=\/; Max-Age=31536000;/);
  });
});
