import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../lib/logger';
import { errorHandler } from './plugins/errors';
import { type HealthCheck, healthRoutes, healthSchema } from './routes/health';

export interface ServerDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
}

/** Builds the Fastify app from injected clients; the process entry (main.ts) only wires and listens. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, trustProxy: false });
  app.addSchema(healthSchema);
  app.setErrorHandler(errorHandler);
  await app.register(healthRoutes, { checks: deps.healthChecks });
  return app;
}
