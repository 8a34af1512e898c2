import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Session tokens for the read API: `v1.<tenantId>.<expires epoch s>.<actor base64url>.<HMAC>`,
 * stateless and bound to one tenant; the actor (who logged in) goes to the audit log. The HMAC key is derived from the archive's master key, so no extra secret has to
 * be configured, and a token cannot be minted or moved to another tenant without it.
 */
export interface Session {
  tenantId: string;
  actor: string;
}

export interface SessionCodec {
  issue(session: Session, ttlSeconds: number, now?: number): { token: string; expiresAt: Date };
  /** The session, or null when the token is malformed, forged or expired. */
  verify(token: string | undefined, now?: number): Session | null;
}

const TENANT = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export function createSessionCodec(masterKey: Buffer): SessionCodec {
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'ticket-vault/session/v1', 32));
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  return {
    issue({ tenantId, actor }, ttlSeconds, now = Date.now()) {
      if (!TENANT.test(tenantId)) throw new TypeError('tenant id cannot be put in a session');
      const expires = Math.floor(now / 1000) + ttlSeconds;
      const payload = `v1.${tenantId}.${expires}.${Buffer.from(actor.slice(0, 200)).toString('base64url')}`;
      return { token: `${payload}.${mac(payload)}`, expiresAt: new Date(expires * 1000) };
    },
    verify(token, now = Date.now()) {
      if (typeof token !== 'string' || token.length > 700) return null;
      const parts = token.split('.');
      if (parts.length !== 5 || parts[0] !== 'v1') return null;
      const [, tenantId = '', expires = '', actor = '', signature = ''] = parts;
      if (!TENANT.test(tenantId) || !/^\d{1,12}$/.test(expires) || !/^[A-Za-z0-9_-]*$/.test(actor))
        return null;
      const expected = Buffer.from(mac(`v1.${tenantId}.${expires}.${actor}`));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
      if (Number(expires) * 1000 <= now) return null;
      return { tenantId, actor: Buffer.from(actor, 'base64url').toString('utf8') };
    },
  };
}
