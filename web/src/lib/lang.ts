import { invalidateAll } from '$app/navigation';
import { LANG_COOKIE, type Locale } from './i18n';

/** Remembers the reader's language (a plain, non-secret cookie) and re-renders in it. */
export async function switchLocale(locale: Locale): Promise<void> {
  const secure = location.protocol === 'https:' ? '; Secure; SameSite=None' : '; SameSite=Lax';
  document.cookie = `${LANG_COOKIE}=${encodeURIComponent(locale)}; Path=/; Max-Age=31536000${secure}`;
  document.documentElement.lang = locale;
  await invalidateAll();
}
