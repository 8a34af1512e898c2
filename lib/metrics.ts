import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The product's Prometheus metrics, one registry per process (API or worker), injected where
 * things happen. Labels are bounded sets (route patterns, status codes, outcomes, tenants) —
 * never ticket ids or anything from a request body.
 */
export function createMetrics(process: 'api' | 'worker') {
  const registry = new Registry();
  registry.setDefaultLabels({ process });
  collectDefaultMetrics({ register: registry, prefix: 'ticketvault_' });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'ticketvault_http_request_duration_seconds',
      help: 'API request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    webhooks: new Counter({
      name: 'ticketvault_webhooks_total',
      help: 'Webhooks answered, by outcome (started, running, archived, or the HTTP error status)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    searchForeignHits: new Counter({
      name: 'ticketvault_search_foreign_hits_dropped_total',
      help: 'Search hits of another tenant dropped before answering (should stay 0; legacy = collections from before tenant_key: run reindex)',
      labelNames: ['collection', 'filter'] as const,
      registers: [registry],
    }),
    searchLatency: new Histogram({
      name: 'ticketvault_search_duration_seconds',
      help: 'Ticket search latency (Typesense round trips included)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    archives: new Counter({
      name: 'ticketvault_archives_total',
      help: 'Archive milestones: sealed (stored in Postgres with its digest), indexed, failed (non-retryable)',
      labelNames: ['tenant', 'event'] as const,
      registers: [registry],
    }),
    mediaBytes: new Counter({
      name: 'ticketvault_media_bytes_total',
      help: 'Bytes of media mirrored to storage',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    media: new Counter({
      name: 'ticketvault_media_total',
      help: 'Media objects handled, by outcome (stored, unavailable)',
      labelNames: ['tenant', 'outcome'] as const,
      registers: [registry],
    }),
    mediaTextFiles: new Counter({
      name: 'ticketvault_media_text_files_total',
      help: 'Media files read for their text (OCR, PDF text layer), by status (ok, unreadable, timeout, failed)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    mediaTextSeconds: new Histogram({
      name: 'ticketvault_media_text_seconds',
      help: 'Seconds to read the text of one media file, by kind (image, document)',
      labelNames: ['kind'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    mediaTextFailures: new Counter({
      name: 'ticketvault_media_text_failures_total',
      help: 'Media files whose text could not be read, by reason (pixels, bytes, pages, corrupt, timeout, memory, crash, unsupported)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
