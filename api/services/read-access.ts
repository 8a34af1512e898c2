import { createHash } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { Session, SessionCodec } from '../../lib/auth/session';
import { parseBotKey } from '../../lib/blip';
import type { SecretBox } from '../../lib/crypto';
import type { Db } from '../../lib/db/pool';
import { getTenant, tenantKeyMatches } from '../../lib/db/tenants';
import { normaliseTenantId } from '../../lib/tenant-id';
import { unauthorized } from './http-errors';

/**
 * Who is reading: a session cookie (from POST /v1/session), or `Authorization: Key …` on the
 * request itself. Either way the key is checked against the tenant's stored one (never Blip),
 * and only tenants that have archived something exist.
 */
export const SESSION_COOKIE = 'tv_session';

export interface ReadAccessDeps {
  db: Db;
  box: SecretBox;
  sessions: SessionCodec;
}

export function createReadAccess(deps: ReadAccessDeps) {
  /** Validates a bot key for login; the error names the bot, never the key. */
  async function tenantForKey(authorization: string): Promise<string> {
    let identifier: string;
    try {
      // The same tenant id the webhook stored (normalised once, lib/tenant-id.ts).
      identifier = normaliseTenantId(parseBotKey(authorization).identifier);
    } catch (err) {
      throw unauthorized(`not a valid Blip bot key: ${(err as Error).message}`);
    }
    const tenant = await getTenant(deps.db, identifier);
    if (!tenant || !(await tenantKeyMatches(deps.db, deps.box, identifier, authorization.trim()))) {
      throw unauthorized(
        `bot ${identifier} has no archive here, or this is not its current key (the key of its last webhook)`,
      );
    }
    return identifier;
  }

  async function sessionOf(req: FastifyRequest): Promise<Session> {
    const header = req.headers.authorization;
    if (typeof header === 'string' && header.startsWith('Key ')) {
      const tenantId = await tenantForKey(header);
      return { tenantId, actor: `key:${tenantId}` };
    }
    const session = deps.sessions.verify(req.cookies?.[SESSION_COOKIE]);
    if (!session)
      throw unauthorized('log in first: POST /v1/session with the bot key, or send Authorization: Key …');
    return session;
  }

  /**
   * The bucket a request's searches count against, without touching the database: the tenant of a
   * valid session; for `Authorization: Key` a hash of the key itself (a forged key claiming a bot
   * gets its own bucket and cannot spend the bot's); else the client address.
   */
  function rateLimitKey(req: FastifyRequest): string {
    const session = deps.sessions.verify(req.cookies?.[SESSION_COOKIE]);
    if (session) return `tenant:${session.tenantId}`;
    const header = req.headers.authorization;
    if (typeof header === 'string' && header.startsWith('Key ')) {
      return `key:${createHash('sha256').update(header.trim()).digest('hex').slice(0, 32)}`;
    }
    return `ip:${req.ip}`;
  }

  return { tenantForKey, sessionOf, rateLimitKey };
}

export type ReadAccess = ReturnType<typeof createReadAccess>;
