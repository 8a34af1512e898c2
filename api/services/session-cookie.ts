/**
 * The session cookie's attributes. Inside the Blip portal the UI is a cross-site iframe: a browser
 * only sends it a cookie that is `SameSite=None; Secure`, and browsers that block third-party cookies
 * (Safari, Firefox, Chromium's phase-out) keep one there only if it is also `Partitioned` (CHIPS:
 * stored per top-level site, so the portal's copy is not the standalone app's). Over plain http
 * (local development) a Secure cookie would be refused, so the cookie is `SameSite=Lax` there.
 */
export type CookieSecurity = 'auto' | boolean;

export interface SessionCookieOptions {
  path: '/';
  httpOnly: true;
  secure: boolean;
  sameSite: 'none' | 'lax';
  partitioned?: true;
}

/**
 * `auto` (COOKIE_SECURE's default) follows the request: Fastify's `request.protocol`, which is
 * `https` when the API serves TLS itself or a trusted proxy says so (X-Forwarded-Proto, TRUST_PROXY).
 */
export function sessionCookieOptions(security: CookieSecurity, protocol: string): SessionCookieOptions {
  const https = security === 'auto' ? protocol === 'https' : security;
  return https
    ? { path: '/', httpOnly: true, secure: true, sameSite: 'none', partitioned: true }
    : { path: '/', httpOnly: true, secure: false, sameSite: 'lax' };
}
