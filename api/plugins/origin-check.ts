import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config, TrustProxy } from '../../lib/config';
import { SESSION_COOKIE } from '../services/read-access';

/** How the API faces browsers and proxies (lib/config.ts TRUST_PROXY, PUBLIC_API_URL, CSRF_ALLOWED_ORIGINS). */
export interface WebSurfaceOptions {
  /** TRUST_PROXY: null (default, trust no proxy), a hop count, or the proxies' addresses/CIDRs. */
  trustProxy: TrustProxy;
  /** Origins, besides the request's own Host, whose pages may send cookie-authenticated changes. */
  allowedOrigins: string[];
}

export function webSurfaceOf(
  config: Pick<Config, 'TRUST_PROXY' | 'PUBLIC_API_URL' | 'CSRF_ALLOWED_ORIGINS'>,
): WebSurfaceOptions {
  return {
    trustProxy: config.TRUST_PROXY,
    allowedOrigins: [new URL(config.PUBLIC_API_URL).origin, ...config.CSRF_ALLOWED_ORIGINS],
  };
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Blip's Builder action calls this without a cookie; its key in the body is its authentication. */
const EXEMPT_PATHS = new Set(['/v1/tickethistory']);

function originOf(value: string | undefined): string | null {
  if (!value || value === 'null' || !URL.canParse(value)) return null;
  return new URL(value).origin;
}

/**
 * CSRF: the session cookie rides along with any request a browser makes to the API, including a
 * form or fetch from another site (the cookie is SameSite=None inside the Blip portal iframe). So a
 * state-changing request that the cookie would authenticate must come from a page of the API's own
 * origin: its Origin (or, without one, its Referer) must match the request's Host, PUBLIC_API_URL or
 * CSRF_ALLOWED_ORIGINS. Requests with `Authorization: Key …` are authenticated by that header, which
 * a foreign page cannot add, and the cookie is then ignored (read-access.ts sessionOf), so they pass.
 * The framing portal's origin is deliberately not trusted: the framed UI's own requests carry the
 * UI's origin, and trusting the portal would let any page on it act for the user.
 */
export function registerOriginCheck(app: FastifyInstance, opts: WebSurfaceOptions): void {
  const allowed = new Set(opts.allowedOrigins);
  app.addHook('onRequest', async (req, reply) => {
    if (!STATE_CHANGING.has(req.method)) return;
    if (EXEMPT_PATHS.has(req.url.split('?')[0] as string)) return;
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Key ')) return;
    if (!hasSessionCookie(req)) return;
    const origin = originOf(req.headers.origin) ?? originOf(req.headers.referer);
    if (origin && (allowed.has(origin) || new URL(origin).host === req.host.replace(/:(80|443)$/, '')))
      return;
    return reply.code(403).send({
      error: 'forbidden',
      message: origin
        ? `cross-site request refused: Origin ${origin} is not this archive's origin; a request authenticated by the session cookie must come from the archive's own pages (or send Authorization: Key …)`
        : 'cross-site request check failed: a request authenticated by the session cookie must carry an Origin (or Referer) header of the archive itself (or send Authorization: Key … instead of the cookie)',
    });
  });
}

function hasSessionCookie(req: FastifyRequest): boolean {
  if (req.cookies) return typeof req.cookies[SESSION_COOKIE] === 'string';
  const header = req.headers.cookie;
  return (
    typeof header === 'string' && header.split(';').some((c) => c.trim().startsWith(`${SESSION_COOKIE}=`))
  );
}
