import type { FastifyPluginAsync } from 'fastify';
import type { SessionCodec } from '../../lib/auth/session';
import { type ReadAccess, SESSION_COOKIE } from '../services/read-access';

/** Log in with the bot key (standalone, or from the Blip portal extension) and out again. */
export interface SessionRouteOptions {
  access: ReadAccess;
  sessions: SessionCodec;
  ttlSeconds: number;
  /** Secure cookies (https); inside the portal iframe the cookie must also be SameSite=None. */
  secureCookies: boolean;
}

const sessionSchema = {
  type: 'object',
  required: ['tenantId', 'actor', 'expiresAt'],
  properties: {
    tenantId: { type: 'string' },
    actor: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const sessionRoutes: FastifyPluginAsync<SessionRouteOptions> = async (app, opts) => {
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    secure: opts.secureCookies,
    sameSite: opts.secureCookies ? ('none' as const) : ('lax' as const),
  };

  app.post<{ Body: { auth: string; user?: string } }>(
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
              description: 'who is reading (portal user e-mail), for the audit log',
            },
          },
        },
        response: { 200: sessionSchema, '4xx': { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const tenantId = await opts.access.tenantForKey(req.body.auth);
      const actor = req.body.user?.trim() || `key:${tenantId}`;
      const { token, expiresAt } = opts.sessions.issue({ tenantId, actor }, opts.ttlSeconds);
      reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, expires: expiresAt });
      return { tenantId, actor, expiresAt: expiresAt.toISOString() };
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
    async (req) => opts.access.sessionOf(req),
  );

  app.delete(
    '/v1/session',
    { schema: { tags: ['session'], summary: 'Log out', response: { 204: { type: 'null' } } } },
    async (_req, reply) => {
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return reply.code(204).send();
    },
  );
};
