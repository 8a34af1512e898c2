import { createHash } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  actorOf,
  renewedExpiry,
  type SessionClaims,
  type SessionCodec,
  type SessionLifetime,
  slidingExpiry,
} from '../../lib/auth/session';
import { decodeBotKeyCredentials, parseBotKey } from '../../lib/blip';
import type { KeyCheck } from '../../lib/blip/key-check';
import type { SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import { sessionEpoch } from '../../lib/db/tenant-sessions';
import { getTenant, tenantKeyMatches } from '../../lib/db/tenants';
import { normaliseTenantId } from '../../lib/tenant-id';
import { unauthorized } from './http-errors';
import { type CookieSecurity, sessionCookieOptions } from './session-cookie';
import { keyCheckError } from './tenant-admission';

/**
 * Who is reading: a session cookie (from POST /v1/session), or `Authorization: Key …` on the
 * request itself. A key must be the tenant's stored one (the key of its last webhook) and one
 * Blip still accepts (asked at most every LOGIN_KEY_CACHE_SECONDS), and only tenants that have
 * archived something exist. A session is refused once its tenant's session epoch moved on (log
 * out everywhere, key change); each use renews it up to the ceiling from login.
 */
export const SESSION_COOKIE = 'tv_session';

/** A request's reader: the tenant, and the name to record (a claimed user name is labelled so). */
export interface Session {
  tenantId: string;
  actor: string;
}

export interface ReadAccessDeps {
  db: Db;
  box: SecretBox;
  sessions: SessionCodec;
  lifetime: SessionLifetime;
  /** COOKIE_SECURE: `auto` follows the request's protocol (api/services/session-cookie.ts). */
  cookieSecurity: CookieSecurity;
  /** Asks Blip whether it still accepts the key (lib/blip/key-check.ts). */
  checkKeyWithBlip: (
    commandsUrl: string | null,
    authorization: string,
    ticketId: string,
  ) => Promise<KeyCheck>;
  /** How long Blip's "accepted" is reused for the same key (ms); 0: ask every time. */
  keyCheckCacheMs: number;
  now?: () => number;
}

/** Asked when the tenant has no archived ticket left: a valid key gets Blip's documented "not found". */
const PROBE_TICKET = '00000000-0000-0000-0000-000000000000';
const KEY_CACHE_MAX = 10_000;

/**
 * `Key base64(identifier:secret)` with the identifier lower-cased: Blip identifiers are
 * case-insensitive and tenants are stored lower-case, so `Key base64(ATENDIMENTO:s)` is the same key.
 */
export function normalizedBotKey(authorization: string): { tenantId: string; authorization: string } {
  const { identifier, secret } = decodeBotKeyCredentials(authorization);
  // The same tenant id the webhook stored (normalised once, lib/tenant-id.ts).
  const tenantId = normaliseTenantId(identifier);
  if (tenantId === identifier) return { tenantId, authorization: parseBotKey(authorization).authorization };
  return {
    tenantId,
    authorization: `Key ${Buffer.from(`${tenantId}:${secret}`, 'utf8').toString('base64')}`,
  };
}

export function createReadAccess(deps: ReadAccessDeps) {
  const now = deps.now ?? Date.now;
  const cookieOptions = (req: FastifyRequest) => sessionCookieOptions(deps.cookieSecurity, req.protocol);
  // Keyed by a hash of the key, so the cache never holds a key itself.
  const blipAccepted = new Map<string, number>();
  // Sessions renewed by this request; the onSend hook writes their cookie.
  const renewals = new WeakMap<FastifyRequest, { token: string; expires: Date }>();

  /** Any ticket of the tenant will do: Blip answers it (or its documented "not found") for a valid key. */
  async function probeTicketId(tenantId: string): Promise<string> {
    const { rows } = await deps.db.query<{ ticket_id: string }>(
      'select ticket_id from tickets where tenant_id = $1 limit 1',
      [tenantId],
    );
    return rows[0]?.ticket_id ?? PROBE_TICKET;
  }

  async function blipStillAccepts(tenantId: string, commandsUrl: string | null, authorization: string) {
    const cacheKey = createHash('sha256').update(authorization).digest('hex');
    const until = blipAccepted.get(cacheKey);
    if (until !== undefined && until > now()) return;
    blipAccepted.delete(cacheKey);
    const check = await deps.checkKeyWithBlip(commandsUrl, authorization, await probeTicketId(tenantId));
    if (check.verdict === 'rejected') {
      throw unauthorized(
        `Blip no longer accepts this key of bot ${tenantId} (revoked or rotated in Blip); log in with its current key`,
      );
    }
    if (check.verdict !== 'accepted') throw keyCheckError(tenantId, check);
    if (deps.keyCheckCacheMs > 0) {
      blipAccepted.set(cacheKey, now() + deps.keyCheckCacheMs);
      if (blipAccepted.size > KEY_CACHE_MAX) blipAccepted.delete(blipAccepted.keys().next().value as string);
    }
  }

  /** Validates a bot key for login or a keyed read; the error names the bot, never the key. */
  async function tenantForKey(authorization: string): Promise<string> {
    let key: { tenantId: string; authorization: string };
    try {
      key = normalizedBotKey(authorization.trim());
    } catch (err) {
      throw unauthorized(`not a valid Blip bot key: ${(err as Error).message}`);
    }
    const tenant = await getTenant(deps.db, key.tenantId);
    const raw = authorization.trim();
    const matches =
      tenant !== null &&
      ((await tenantKeyMatches(deps.db, deps.box, key.tenantId, key.authorization)) ||
        (raw !== key.authorization && (await tenantKeyMatches(deps.db, deps.box, key.tenantId, raw))));
    if (!tenant || !matches) {
      throw unauthorized(
        `bot ${key.tenantId} has no archive here, or this is not its current key (the key of its last webhook)`,
      );
    }
    // Blip is asked with the key exactly as given: that is the form Blip accepted at the webhook.
    await blipStillAccepts(key.tenantId, tenant.commandsUrl, raw);
    return key.tenantId;
  }

  /** A new session for a tenant whose key was just checked; `user` is what was typed, unverified. */
  async function login(tenantId: string, user: string | null) {
    const epoch = (await sessionEpoch(deps.db, tenantId)) ?? 0;
    const loginAt = Math.floor(now() / 1000);
    const claims: SessionClaims = {
      tenantId,
      user,
      epoch,
      loginAt,
      expiresAt: slidingExpiry(loginAt, loginAt, deps.lifetime),
    };
    return { claims, token: deps.sessions.issue(claims), expires: new Date(claims.expiresAt * 1000) };
  }

  /** The claims of the request's session cookie if it is valid and not revoked; null otherwise. */
  async function cookieSession(req: FastifyRequest): Promise<SessionClaims | null> {
    const claims = deps.sessions.verify(req.cookies?.[SESSION_COOKIE], now());
    if (!claims) return null;
    // Older than the ceiling (a token issued under a longer SESSION_TTL_SECONDS) counts as expired.
    if (claims.loginAt + deps.lifetime.ttlSeconds <= Math.floor(now() / 1000)) return null;
    const epoch = await sessionEpoch(deps.db, claims.tenantId);
    if (epoch === null || epoch !== claims.epoch) return null;
    return claims;
  }

  async function sessionOf(req: FastifyRequest): Promise<Session & { expiresAt?: string }> {
    const header = req.headers.authorization;
    if (typeof header === 'string' && header.startsWith('Key ')) {
      const tenantId = await tenantForKey(header);
      return { tenantId, actor: `key:${tenantId}` };
    }
    const claims = await cookieSession(req);
    if (!claims)
      throw unauthorized(
        'log in first: POST /v1/session with the bot key, or send Authorization: Key … (sessions end when idle, after SESSION_TTL_SECONDS, on log out everywhere and when the bot key changes)',
      );
    let expiresAt = claims.expiresAt;
    const renewed = renewedExpiry(claims, Math.floor(now() / 1000), deps.lifetime);
    if (renewed !== null) {
      expiresAt = renewed;
      renewals.set(req, {
        token: deps.sessions.issue({ ...claims, expiresAt: renewed }),
        expires: new Date(renewed * 1000),
      });
    }
    return {
      tenantId: claims.tenantId,
      actor: actorOf(claims),
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    };
  }

  /** onSend hook: writes the renewed session cookie of a request that used its session. */
  async function writeRenewedCookie(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const renewed = renewals.get(req);
    if (renewed && !reply.hasHeader('set-cookie')) {
      reply.setCookie(SESSION_COOKIE, renewed.token, { ...cookieOptions(req), expires: renewed.expires });
    }
    return payload;
  }

  /**
   * The bucket a request's searches count against, without touching the database: the tenant of a
   * valid session; for `Authorization: Key` a hash of the key itself (a forged key claiming a bot
   * gets its own bucket and cannot spend the bot's); else the client address.
   */
  function rateLimitKey(req: FastifyRequest): string {
    const session = deps.sessions.verify(req.cookies?.[SESSION_COOKIE], now());
    if (session) return `tenant:${session.tenantId}`;
    const header = req.headers.authorization;
    if (typeof header === 'string' && header.startsWith('Key ')) {
      return `key:${createHash('sha256').update(header.trim()).digest('hex').slice(0, 32)}`;
    }
    return `ip:${req.ip}`;
  }

  /** For routes that end the session themselves (log out everywhere): no renewed cookie. */
  function dropRenewal(req: FastifyRequest) {
    renewals.delete(req);
  }

  return { tenantForKey, login, sessionOf, rateLimitKey, writeRenewedCookie, dropRenewal, cookieOptions };
}

export type ReadAccess = ReturnType<typeof createReadAccess>;
