import type { FastifyPluginAsync } from 'fastify';
import type { SecretBox } from '../../lib/crypto/secret-box';
import { writeAudit } from '../../lib/db/audit';
import type { Db } from '../../lib/db/pool';
import { readContactTickets } from '../../lib/db/read';
import { auditTargetOf } from '../../lib/retention/erasure-hash';
import type { ReadAccess } from '../services/read-access';
import {
  registerTenantRateLimit,
  type TenantRateLimit,
  tenantRateLimitConfig,
} from '../services/tenant-rate-limit';
import { ticketSchema } from './read-schemas';

/** A contact's whole archived history with this tenant. */
export interface ContactRouteOptions {
  db: Db;
  /** Names the contact in the audit log by its keyed fingerprint, never in clear. */
  box: SecretBox;
  access: ReadAccess;
  /** Contact reads per tenant per window (429 beyond; READ_RATE_LIMIT_PER_MINUTE). */
  readRateLimit: TenantRateLimit;
}

export const contactRoutes: FastifyPluginAsync<ContactRouteOptions> = async (app, opts) => {
  await registerTenantRateLimit(app, opts.access);
  app.get<{ Params: { identity: string } }>(
    '/v1/contacts/:identity/tickets',
    {
      config: tenantRateLimitConfig(opts.readRateLimit, 'contact reads', 'READ_RATE_LIMIT_PER_MINUTE'),
      schema: {
        tags: ['contacts'],
        summary: "A contact's archived tickets, newest first",
        params: {
          type: 'object',
          required: ['identity'],
          properties: {
            identity: {
              type: 'string',
              minLength: 3,
              maxLength: 300,
              pattern: '^[^\\s/]+@[^\\s/]+$',
              description: 'a Blip identity, e.g. 5511987654321@wa.gw.msging.net',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['identity', 'tickets'],
            properties: { identity: { type: 'string' }, tickets: { type: 'array', items: ticketSchema } },
          },
          '4xx': { $ref: 'Error#' },
        },
      },
    },
    async (req) => {
      const session = await opts.access.sessionOf(req);
      const tickets = await readContactTickets(opts.db, session.tenantId, req.params.identity);
      await writeAudit(opts.db, {
        tenantId: session.tenantId,
        actor: session.actor,
        action: 'contact.view',
        target: auditTargetOf(opts.box, session.tenantId, 'contact', req.params.identity),
      });
      return { identity: req.params.identity, tickets };
    },
  );
};
