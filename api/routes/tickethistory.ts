import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import type { TicketState } from '../../lib/db/webhook-checks';
import type { ArchiveStatus } from '../../lib/temporal/archive-starter';
import { badRequest } from '../services/http-errors';

/**
 * POST /v1/tickethistory — Blip Builder's HTTP action after a ticket closes. Validates, admits
 * the bot as a tenant (its key checked against Blip once), starts or finds the archive workflow
 * and answers 202 at once; the archive itself runs in Temporal.
 */
export interface TicketHistoryOptions {
  bodyLimit: number;
  rateLimit: { max: number; timeWindowMs: number };
  /**
   * Parses and authorizes the key; returns the tenant id (and the ticket's state when it was read
   * along with the bot's access, api/services/tenant-admission.ts) or throws an HttpError (401/503).
   */
  admitTenant: (
    authorization: string,
    ticketId: string,
  ) => Promise<{ tenantId: string; ticket?: TicketState }>;
  /**
   * The tenant whose stored key this is (for per-tenant rate limiting), or null for a key that is
   * malformed, unknown or not the tenant's current one. Only a verified key may spend a tenant's
   * quota: keying on the bot a key merely claims let anyone exhaust any bot's quota.
   */
  verifiedTenant: (authorization: string) => Promise<string | null>;
  /** Told the outcome of every accepted webhook (metrics). */
  onAccepted?: (status: ArchiveStatus) => void;
  /** Starts or finds the archive; `known` is the ticket's state if admission read it already. */
  startArchive: (
    tenantId: string,
    ticketId: string,
    known?: TicketState,
  ) => Promise<{ workflowId: string; status: ArchiveStatus }>;
}

const TICKET_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const ticketHistoryRoutes: FastifyPluginAsync<TicketHistoryOptions> = async (app, opts) => {
  // Fastify also parses text/plain by default; the webhook takes JSON only (415 otherwise).
  // This plugin is encapsulated, so other routes keep the default parsers.
  app.removeContentTypeParser('text/plain');
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    max: opts.rateLimit.max,
    timeWindow: opts.rateLimit.timeWindowMs,
    // Verified keys share their tenant's bucket; anything else (new bots, wrong or forged keys)
    // is limited per client address, which also bounds the key checks it can make us send to Blip.
    keyGenerator: async (req) => {
      const auth = (req.body as { auth?: unknown } | undefined)?.auth;
      const tenant =
        typeof auth === 'string' && auth.length <= 1024
          ? await opts.verifiedTenant(auth).catch(() => null)
          : null;
      return tenant ? `tenant:${tenant}` : `unverified:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `too many webhooks for this bot: limit ${ctx.max} per ${ctx.after}; retry later`,
    }),
  });

  app.post<{ Body: { ticket: string; auth: string } }>(
    '/v1/tickethistory',
    {
      bodyLimit: opts.bodyLimit,
      config: { rateLimit: { max: opts.rateLimit.max, timeWindow: opts.rateLimit.timeWindowMs } },
      schema: {
        tags: ['webhook'],
        summary: 'Archive a closed ticket (called by the Blip Builder HTTP action)',
        body: {
          type: 'object',
          required: ['ticket', 'auth'],
          properties: {
            ticket: {
              type: 'string',
              minLength: 1,
              maxLength: 64,
              description: 'the ticket id, {{input.content@id}}',
            },
            auth: { type: 'string', minLength: 1, maxLength: 1024, description: 'Key <bot access key>' },
          },
        },
        response: {
          202: {
            type: 'object',
            required: ['workflowId', 'status'],
            properties: {
              workflowId: { type: 'string' },
              status: { type: 'string', enum: ['started', 'running', 'archived', 'erased'] },
            },
          },
          '4xx': { $ref: 'Error#' },
          '5xx': { $ref: 'Error#' },
        },
      },
    },
    async (req, reply) => {
      const ticketId = req.body.ticket.trim();
      if (!TICKET_ID.test(ticketId))
        throw badRequest(
          'body/ticket must be a Blip ticket id (a UUID such as b598352e-77f5-546c-a017-5ec108ed50ba)',
        );
      const id = ticketId.toLowerCase();
      // Nothing is started before admission has answered: a refused request never starts a workflow.
      const { tenantId, ticket } = await opts.admitTenant(req.body.auth, id);
      const result = await opts.startArchive(tenantId, id, ticket);
      opts.onAccepted?.(result.status);
      req.log.info(
        { tenantId, ticketId, workflowId: result.workflowId, status: result.status },
        'archive requested',
      );
      return reply.code(202).send(result);
    },
  );
};
