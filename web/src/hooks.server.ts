import type { Handle, HandleFetch } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { LANG_COOKIE, localeFromAcceptLanguage, normalizeLocale } from '$lib/i18n';
import { frameAncestors } from '$lib/server/frame-ancestors';

/** The API process serving this UI installs this (api/plugins/web-ui.ts) to answer /v1/* in-process. */
const API_BRIDGE = Symbol.for('ticket-vault.api-bridge');
type Bridge = (request: Request) => Promise<Response>;

export const handle: Handle = async ({ event, resolve }) => {
  event.locals.locale =
    normalizeLocale(event.url.searchParams.get('lang')) ??
    normalizeLocale(event.cookies.get(LANG_COOKIE)) ??
    localeFromAcceptLanguage(event.request.headers.get('accept-language'));
  const response = await resolve(event, {
    transformPageChunk: ({ html }) =>
      html.replace('<html lang="en">', `<html lang="${event.locals.locale}">`),
  });
  // Only the Blip portal (UI_FRAME_ANCESTORS, validated by lib/config.ts in the API) may frame the
  // UI; frame-ancestors only works as a header, so it is added to the CSP SvelteKit wrote.
  const csp = response.headers.get('content-security-policy');
  if (csp)
    response.headers.set(
      'content-security-policy',
      `${csp}; frame-ancestors ${frameAncestors(env.UI_FRAME_ANCESTORS)}`,
    );
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'no-referrer');
  return response;
};

/**
 * Server-side loads call `/v1/*` on their own origin. SvelteKit would route those to itself, so send
 * them to the API instead: in-process when served by the API, else to API_ORIGIN (e.g. `vite dev`).
 */
export const handleFetch: HandleFetch = async ({ event, request, fetch }) => {
  const url = new URL(request.url);
  if (url.origin !== event.url.origin || !url.pathname.startsWith('/v1/')) return fetch(request);
  const headers = new Headers(request.headers);
  const cookie = event.request.headers.get('cookie');
  if (cookie) headers.set('cookie', cookie);
  const auth = event.request.headers.get('authorization');
  if (auth && !headers.has('authorization')) headers.set('authorization', auth);
  const bridge = (globalThis as Record<symbol, unknown>)[API_BRIDGE] as Bridge | undefined;
  const init: RequestInit = { method: request.method, headers };
  if (request.method !== 'GET' && request.method !== 'HEAD') init.body = await request.arrayBuffer();
  if (bridge) return bridge(new Request(url, init));
  const origin = env.API_ORIGIN;
  if (origin) return globalThis.fetch(new Request(new URL(url.pathname + url.search, origin), init));
  return fetch(request);
};
