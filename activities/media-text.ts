import { getTenantOcrLanguages, mediaKind } from '../lib/db/media-text';
import type { Db } from '../lib/db/pool';
import type { Logger } from '../lib/logger';
import { engineInfo } from '../lib/media-text/engine';
import { createExtractor } from '../lib/media-text/extract';
import { failureReason } from '../lib/media-text/failure-reason';
import type { MediaTextLimits } from '../lib/media-text/limits';
import { createMediaTextReader, type FileRead } from '../lib/media-text/read-stored';
import type { Metrics } from '../lib/metrics';
import type { SearchClient } from '../lib/search/client';
import { indexTicket } from '../lib/search/indexer';
import type { CollectionNames } from '../lib/search/schema';
import type { ObjectStore } from '../lib/storage/object-store';
import { heartbeat } from './activity-context';
import { classified } from './failures';
import type { MediaTextActivities } from './media-text-types';

/**
 * The text inside a ticket's media, read after it is sealed (workflows/extract-media-text.ts, on
 * its own task queue). Derived data: nothing here touches the sealed rows.
 */
export interface MediaTextDeps {
  db: Db;
  store: ObjectStore;
  search: SearchClient;
  collections: CollectionNames;
  searchReady?: () => Promise<void>;
  /** SEARCH_TEXT_DEFAULT_MONTHS: which messages indexing also writes to the recent-messages collection. */
  textWindowMonths?: number;
  mediaText: { limits: MediaTextLimits; defaultLanguages: string };
  metrics?: Metrics;
  logger: Logger;
}

/** Files per activity call: a few, so a retry repeats little and the history stays small. */
const BATCH = 4;

export function recordFileMetrics(metrics: Metrics | undefined, read: FileRead): void {
  if (!metrics) return;
  metrics.mediaTextFiles.inc({ status: read.outcome.status });
  const kind = mediaKind(read.media.contentType);
  metrics.mediaTextSeconds.observe({ kind: kind === 'image' ? 'image' : 'document' }, read.seconds);
  const reason = failureReason(read.outcome);
  if (reason) metrics.mediaTextFailures.inc({ reason });
}

export function createMediaTextActivities(deps: MediaTextDeps): MediaTextActivities {
  const reader = createMediaTextReader({
    db: deps.db,
    store: deps.store,
    extractor: createExtractor({ limits: deps.mediaText.limits }),
    engine: engineInfo,
    limits: deps.mediaText.limits,
    languagesOf: async (tenantId) =>
      (await getTenantOcrLanguages(deps.db, tenantId)) ?? deps.mediaText.defaultLanguages,
    onRead: (read) => {
      recordFileMetrics(deps.metrics, read);
      if (read.outcome.status !== 'ok')
        deps.logger.info(
          {
            tenantId: read.tenantId,
            sha256: read.media.sha256,
            status: read.outcome.status,
            reason: read.outcome.reason,
          },
          'media text not read',
        );
    },
  });
  return {
    extractMediaTextBatch: classified(async ({ tenantId, ticketId, after }) => {
      // A file can take up to MEDIA_TEXT_TIMEOUT_SECONDS: keep telling the server we are alive.
      const beat = setInterval(() => heartbeat({ after }), 5_000);
      try {
        const r = await reader.readBatch(
          { tenantId, ticketId, after: after ?? undefined, limit: BATCH },
          () => heartbeat(),
        );
        return { read: r.read, ok: r.ok, notOk: r.notOk, next: r.next };
      } finally {
        clearInterval(beat);
      }
    }),
    indexMediaText: classified(async ({ tenantId, ticketId }) => {
      await deps.searchReady?.();
      return indexTicket(deps.db, deps.search, deps.collections, tenantId, ticketId, () => heartbeat(), {
        textWindowMonths: deps.textWindowMonths,
      });
    }),
  };
}
