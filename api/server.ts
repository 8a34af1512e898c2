import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { errorHandler } from './plugins/errors';
import { redactedRequest } from './plugins/log-redaction';
import { registerMetrics } from './plugins/metrics';
import { registerOriginCheck, type WebSurfaceOptions } from './plugins/origin-check';
import { trustProxyFn } from './plugins/trust-proxy';
import { registerWebUi, type WebUiOptions } from './plugins/web-ui';
import { type ContactRouteOptions, contactRoutes } from './routes/contacts';
import { type ExportRouteOptions, exportRoutes } from './routes/exports';
import { type HealthCheck, healthRoutes, healthSchema } from './routes/health';
import { type SealKeyRouteOptions, sealKeyRoutes } from './routes/seal-keys';
import { type SessionRouteOptions, sessionRoutes } from './routes/session';
import { type TicketHistoryOptions, ticketHistoryRoutes } from './routes/tickethistory';
import { type TicketRouteOptions, ticketRoutes } from './routes/tickets';
import { errorSchema } from './schemas';

export interface ServerDeps {
  logger: Logger;
  healthChecks: Record<string, HealthCheck>;
  /** Prometheus metrics served at /metrics; absent in tests that do not look at them. */
  metrics?: Metrics;
  /** The webhook; absent in processes that only serve health (e.g. tests of /healthz). */
  webhook?: TicketHistoryOptions;
  /** The read side (sessions, search, tickets, contacts); absent in webhook-only processes. */
  read?: { session: SessionRouteOptions; tickets: TicketRouteOptions; contacts: ContactRouteOptions };
  /** PDF exports and verification; needs Temporal. */
  exports?: ExportRouteOptions;
  /** `GET /.well-known/ticket-vault-keys`: the public seal keys, for anyone checking a seal. */
  sealKeys?: SealKeyRouteOptions;
  /** Serve the built extension UI (web/build) for every non-API path; absent: API only. */
  webUi?: WebUiOptions;
  /**
   * Proxies trusted for the client address, and origins allowed to send cookie-authenticated changes
   * (plugins/origin-check.ts webSurfaceOf). Absent: trust no proxy, and only the request's own Host.
   */
  webSurface?: WebSurfaceOptions;
}

/**
 * Builds the Fastify app from injected clients: external plugins, shared schemas, then routes.
 * The process entry (main.ts) only wires clients and listens.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // A child with our `req` serializer: Fastify keeps the instance's serializers over its own.
    loggerInstance: deps.logger.child({}, { serializers: { req: redactedRequest } }) as FastifyBaseLogger,
    // Behind an ingress, req.ip (rate-limit buckets, logs) is the client from X-Forwarded-For only
    // for the configured hops; by default nobody's X-Forwarded-For is believed.
    trustProxy: trustProxyFn(deps.webSurface?.trustProxy ?? null),
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
  if (deps.metrics) await registerMetrics(app, deps.metrics);
  await app.register(healthRoutes, { checks: deps.healthChecks });
  await app.register(cookie);
  // Before any route: a cross-site request with the victim's cookie is refused before it acts.
  registerOriginCheck(app, deps.webSurface ?? { trustProxy: null, allowedOrigins: [] });
  if (deps.webhook) await app.register(ticketHistoryRoutes, deps.webhook);
  if (deps.read) {
    // At the root, so every route that reads a session (tickets, contacts, exports) renews its cookie.
    app.addHook('onSend', deps.read.session.access.writeRenewedCookie);
    await app.register(sessionRoutes, deps.read.session);
    await app.register(ticketRoutes, deps.read.tickets);
    await app.register(contactRoutes, deps.read.contacts);
  }
  if (deps.exports) await app.register(exportRoutes, deps.exports);
  if (deps.sealKeys) await app.register(sealKeyRoutes, deps.sealKeys);
  if (deps.webUi) await registerWebUi(app, deps.webUi);
  return app;
}
