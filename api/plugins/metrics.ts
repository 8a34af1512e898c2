import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../lib/metrics';

/**
 * GET /metrics (Prometheus text format) and request timing for every route. Registered on the
 * root instance so the hooks see every request; routes are labelled by their pattern
 * (`/v1/tickets/:ticketId`), never by the concrete URL.
 */
export async function registerMetrics(app: FastifyInstance, metrics: Metrics): Promise<void> {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    metrics.httpRequests.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (route === '/v1/tickethistory' && reply.statusCode !== 202) {
      metrics.webhooks.inc({ outcome: String(reply.statusCode) });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
