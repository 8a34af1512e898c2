import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../lib/auth/session';
import type { Db } from '../../lib/db/pool';
import { revokeAllSessions } from '../../lib/db/tenant-sessions';
import { fillTenantName, getTenant } from '../../lib/db/tenants';
import { type ReadAccess, SESSION_COOKIE } from '../services/read-access';

/**
 * Log in with the bot key (standalone, or from the Blip portal extension), out again, and out
 * everywhere. The user name given at login is nobody's verified identity: it is shown as claimed.
 */
export interface SessionRouteOptions {
  access: ReadAccess;
  db: Db;
}

const sessionSchema = {
  type: 'object',
  required: ['tenantId', 'actor', 'expiresAt'],
  properties: {
    tenantId: { type: 'string' },
    actor: {
      type: 'string',
      description: 'the user name typed at login, labelled "(claimed)", or key:<bot>',
    },
    expiresAt: {
      type: 'string',
      format: 'date-time',
      description: 'renewed while the session is used, up to SESSION_TTL_SECONDS after login',
    },
    tenantName: {
      type: ['string', 'null'],
      description:
        'the company or bot name people know the tenant by (`ticket-vault tenants set-name`, or the portal at first login)',
    },
    timeZone: {
      type: 'string',
      description: "IANA zone the tenant's dates are shown and searched in (default America/Sao_Paulo)",
    },
  },
} as const;

export const sessionRoutes: FastifyPluginAsync<SessionRouteOptions> = async (app, opts) => {
  const cookieOptions = opts.access.cookieOptions;

  /** The tenant's name and zone, for the UI's header and dates. */
  async function tenantFacts(tenantId: string): Promise<{ tenantName: string | null; timeZone: string }> {
    const tenant = await getTenant(opts.db, tenantId);
    return { tenantName: tenant?.name ?? null, timeZone: tenant?.timeZone ?? 'America/Sao_Paulo' };
  }

  app.post<{ Body: { auth: string; user?: string; botName?: string } }>(
    '/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Log in with the bot key; sets an HttpOnly session cookie scoped to that tenant',
        body: {
          type: 'object',
          required: ['auth'],
          additionalProperties: false,
          properties: {
            auth: { type: 'string', minLength: 1, maxLength: 1024, description: 'Key <bot access key>' },
            user: {
              type: 'string',
              maxLength: 200,
              description:
                'who is reading (portal user e-mail), for the audit log; recorded and shown as claimed (not verified)',
            },
            botName: {
              type: 'string',
              maxLength: 120,
              description:
                "the bot's name as the Blip portal shows it; stored as the tenant's name only while it has none (the CLI's `tenants set-name` wins)",
            },
          },
        },
        response: { 200: sessionSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const tenantId = await opts.access.tenantForKey(req.body.auth);
      const { claims, token, expires } = await opts.access.login(tenantId, req.body.user?.trim() || null);
      reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(req), expires });
      const botName = req.body.botName?.trim();
      if (botName) await fillTenantName(opts.db, tenantId, botName);
      return {
        tenantId,
        actor: actorOf(claims),
        expiresAt: expires.toISOString(),
        ...(await tenantFacts(tenantId)),
      };
    },
  );

  app.get(
    '/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'The current session',
        response: {
          200: { type: 'object', required: ['tenantId', 'actor'], properties: sessionSchema.properties },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const session = await opts.access.sessionOf(req);
      return { ...session, ...(await tenantFacts(session.tenantId)) };
    },
  );

  app.post(
    '/v1/session/revoke-all',
    {
      schema: {
        tags: ['session'],
        summary:
          "Log out everywhere: ends every session of this bot's tenant (this one too); the bot key itself keeps working",
        response: {
          200: {
            type: 'object',
            required: ['tenantId', 'revoked'],
            properties: { tenantId: { type: 'string' }, revoked: { type: 'boolean' } },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (req, reply) => {
      const session = await opts.access.sessionOf(req);
      await revokeAllSessions(opts.db, session.tenantId, session.actor);
      opts.access.dropRenewal(req);
      reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
      return { tenantId: session.tenantId, revoked: true };
    },
  );

  app.delete(
    '/v1/session',
    { schema: { tags: ['session'], summary: 'Log out', response: { 204: { type: 'null' } } } },
    async (req, reply) => {
      reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
      return reply.code(204).send();
    },
  );
};
