import { invalidateAll } from '$app/navigation';
import type { Locale } from './i18n';
import { langCookie } from './lang-cookie';

/** Remembers the reader's language (a plain, non-secret cookie) and re-renders in it. */
export async function switchLocale(locale: Locale): Promise<void> {
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing from some browsers that open the Blip portal
  document.cookie = langCookie(locale, location.protocol === 'https:');
  document.documentElement.lang = locale;
  await invalidateAll();
}
