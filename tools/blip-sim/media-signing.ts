import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The simulator's SAS-like media links (docs/blip-api.md §7, fixtures/media/manifest.json):
 * `sig = base64(HMAC-SHA256(signingKey, path + "\n" + se))`, `se` as YYYY-MM-DDTHH:MM:SSZ, and
 * a window of 15 minutes either side of the moment the link is issued.
 */
export const DEFAULT_SIGNING_KEY = 'blip-media-simulator';
export const LINK_HALF_WINDOW_MS = 15 * 60 * 1000;

/** `2025-03-11T15:50:17Z`: seconds precision, as Azure SAS writes it. */
export function sasTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export function signPath(signingKey: string, path: string, se: string): string {
  return createHmac('sha256', signingKey).update(`${path}\n${se}`).digest('base64');
}

/** A full signed URI for `path` (already percent-encoded), issued at `issuedAt`. */
export function signedMediaUri(
  origin: string,
  path: string,
  issuedAt: Date,
  signingKey = DEFAULT_SIGNING_KEY,
): string {
  const st = sasTime(new Date(issuedAt.getTime() - LINK_HALF_WINDOW_MS));
  const se = sasTime(new Date(issuedAt.getTime() + LINK_HALF_WINDOW_MS));
  const sig = signPath(signingKey, path, se);
  const q = (v: string) => encodeURIComponent(v);
  return `${origin}${path}?sv=2019-07-07&st=${q(st)}&se=${q(se)}&sr=b&sp=r&sig=${q(sig)}&secure=true`;
}

export type SignatureVerdict = 'valid' | 'forged' | 'expired';

/** Checks `sig` against the canonical path and `se` against the simulator clock. */
export function verifySignature(
  signingKey: string,
  canonicalPath: string,
  query: URLSearchParams,
  now: Date,
): SignatureVerdict {
  const se = query.get('se');
  const sig = query.get('sig');
  if (!se || !sig) return 'forged';
  const expected = Buffer.from(signPath(signingKey, canonicalPath, se));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'forged';
  const expiry = Date.parse(se);
  if (Number.isNaN(expiry) || expiry < now.getTime()) return 'expired';
  return 'valid';
}
