import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Session tokens for the read API: `v2.<base64url JSON claims>.<HMAC-SHA256 base64url>`.
 *
 * The claims are JSON, so any bot id Blip allows fits (v1 split the token on `.`, so a bot id with
 * a dot could never sign in). v1 tokens are not accepted any more: they were signed with a key
 * derived from ARCHIVE_ENCRYPTION_KEY, which many installations left at the public development
 * key, and they carried no session epoch, so they could be neither trusted nor revoked. They
 * lasted 8 hours at most: the upgrade asks everyone to log in once more.
 *
 * The HMAC key comes from SESSION_SECRET (separate from the encryption key). Verification also
 * accepts the SESSION_SECRET_PREVIOUS keys, so a rotation does not log everyone out at once.
 */
export interface SessionClaims {
  tenantId: string;
  /** The user name typed at login: a claim nobody verified; null when none was given. */
  user: string | null;
  /** The tenant's session epoch at login: bumping it (log out everywhere, key change) revokes. */
  epoch: number;
  /** Login time, epoch seconds: the absolute ceiling counts from here. */
  loginAt: number;
  /** End of this token, epoch seconds (renewed while the session is used). */
  expiresAt: number;
}

export interface SessionCodec {
  issue(claims: SessionClaims): string;
  /** The claims, or null when the token is malformed, forged (or signed by no known key) or expired. */
  verify(token: string | undefined, now?: number): SessionClaims | null;
}

const VERSION = 'v2';
const MAX_TOKEN = 2000;
const B64URL = /^[A-Za-z0-9_-]+$/;

export function createSessionCodec(keys: Buffer | Buffer[]): SessionCodec {
  const list = Array.isArray(keys) ? keys : [keys];
  if (list.length === 0) throw new TypeError('a session codec needs at least one key');
  const macKeys = list.map((k) =>
    Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), 'ticket-vault/session/v2', 32)),
  );
  const mac = (key: Buffer, payload: string) =>
    createHmac('sha256', key).update(`${VERSION}.${payload}`).digest('base64url');

  return {
    issue(claims) {
      const body = {
        t: claims.tenantId,
        u: claims.user === null ? null : claims.user.slice(0, 200),
        e: claims.epoch,
        l: claims.loginAt,
        x: claims.expiresAt,
      };
      const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
      return `${VERSION}.${payload}.${mac(macKeys[0] as Buffer, payload)}`;
    },
    verify(token, now = Date.now()) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN) return null;
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== VERSION) return null;
      const [, payload = '', signature = ''] = parts;
      if (!B64URL.test(payload) || !B64URL.test(signature)) return null;
      const given = Buffer.from(signature);
      const signed = macKeys.some((k) => {
        const expected = Buffer.from(mac(k, payload));
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
      if (!signed) return null;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
      const b = body as { t?: unknown; u?: unknown; e?: unknown; l?: unknown; x?: unknown };
      if (
        typeof b !== 'object' ||
        b === null ||
        typeof b.t !== 'string' ||
        b.t === '' ||
        !(b.u === null || typeof b.u === 'string') ||
        !Number.isSafeInteger(b.e) ||
        !Number.isSafeInteger(b.l) ||
        !Number.isSafeInteger(b.x)
      )
        return null;
      const claims: SessionClaims = {
        tenantId: b.t,
        user: b.u as string | null,
        epoch: b.e as number,
        loginAt: b.l as number,
        expiresAt: b.x as number,
      };
      if (claims.expiresAt * 1000 <= now) return null;
      return claims;
    },
  };
}

export interface SessionLifetime {
  /** Absolute ceiling from login (SESSION_TTL_SECONDS). */
  ttlSeconds: number;
  /** Idle limit: each use renews the session up to this far ahead (SESSION_IDLE_SECONDS). */
  idleSeconds: number;
}

/** Where a session used at `nowSeconds` ends: idle time ahead, never past the ceiling from login. */
export function slidingExpiry(loginAt: number, nowSeconds: number, life: SessionLifetime): number {
  return Math.min(nowSeconds + Math.min(life.idleSeconds, life.ttlSeconds), loginAt + life.ttlSeconds);
}

/**
 * Whether a token used now deserves a fresh cookie: only when that moves its end by a minute or
 * more, so a burst of requests does not rewrite the cookie each time.
 */
export function renewedExpiry(
  claims: SessionClaims,
  nowSeconds: number,
  life: SessionLifetime,
): number | null {
  const next = slidingExpiry(claims.loginAt, nowSeconds, life);
  return next - claims.expiresAt >= 60 ? next : null;
}

/** How the user typed at login is shown wherever the session acts: a claim, labelled as such. */
export function actorOf(claims: Pick<SessionClaims, 'tenantId' | 'user'>): string {
  return claims.user ? `${claims.user} (claimed)` : `key:${claims.tenantId}`;
}
