import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../lib/logger';
import { errorHandler } from './plugins/errors';
import { type HealthCheck, healthRoutes, healthSchema } from './routes/health';
import { type TicketHistoryOptions, ticketHistoryRoutes } from './routes/tickethistory';
import { errorSchema } from './schemas';

export interface ServerDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  /** The webhook; absent in processes that only serve health (e.g. tests of /healthz). */
  webhook?: TicketHistoryOptions;
}

/**
 * Builds the Fastify app from injected clients: external plugins, shared schemas, then routes.
 * The process entry (main.ts) only wires clients and listens.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: false,
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ticket-vault API',
        version: '0.1.0',
        description: 'Archive, search and export of BLIP Desk tickets',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.addSchema(errorSchema);
  app.addSchema(healthSchema);
  app.setErrorHandler(errorHandler);
  await app.register(healthRoutes, { checks: deps.healthChecks });
  if (deps.webhook) await app.register(ticketHistoryRoutes, deps.webhook);
  return app;
}
