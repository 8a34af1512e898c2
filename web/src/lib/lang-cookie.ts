import { LANG_COOKIE, type Locale } from './i18n';

/**
 * The Set-Cookie-style string that remembers the reader's language for a year. Inside the Blip
 * portal the UI is a cross-site iframe, where a browser only keeps a cookie marked
 * `Secure; SameSite=None`, and browsers that block third-party cookies only one also `Partitioned`
 * (kept per top-level site, like the session cookie: api/services/session-cookie.ts); over plain
 * http (local use) a Secure cookie would be refused, so Lax.
 */
export function langCookie(locale: Locale, https: boolean): string {
  const attributes = https ? '; Secure; SameSite=None; Partitioned' : '; SameSite=Lax';
  return `${LANG_COOKIE}=${encodeURIComponent(locale)}; Path=/; Max-Age=31536000${attributes}`;
}
