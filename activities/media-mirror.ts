import { type BlipClient, BlipNotFoundError } from '../lib/blip';
import { countPendingMedia, type MediaResult, markMediaResults, pendingMedia } from '../lib/db/media';
import type { Db } from '../lib/db/pool';
import { eachLimited } from '../lib/each-limited';
import type { Logger } from '../lib/logger';
import { mirrorMedia } from '../lib/media/mirror';
import type { Metrics } from '../lib/metrics';
import type { ObjectStore } from '../lib/storage/object-store';
import { activityAttempt, cancellationSignal, heartbeat, throttledHeartbeat } from './activity-context';
import type { MediaBatchResult, TicketRef } from './archive-types';
import { withBlip } from './with-blip';

/**
 * The mirrorMediaBatch activity: takes the ticket's pending media from Postgres a batch at a
 * time, mirrors them a few at once (lib/media/), heartbeats while bytes flow and records every
 * result. The download, SSRF guard and storage live in lib/media/.
 */
export interface MediaMirrorDeps {
  db: Db;
  store: ObjectStore;
  /** A Blip client for the tenant, using its stored (decrypted) key and commands URL. */
  blipFor: (tenantId: string) => Promise<BlipClient>;
  mediaMaxBytes: number;
  /** Media origins exempt from the SSRF guard's private-address check (BLIP_MEDIA_ALLOWED_ORIGINS). */
  mediaAllowedOrigins?: readonly string[];
  mediaTimeoutMs: number;
  /** Media downloads running at once within one batch. */
  mediaParallelism: number;
  /** Media read from Postgres at a time (and so at most in flight between two progress marks). */
  mediaBatchSize: number;
  /**
   * One activity call goes on taking batches until this much time has passed, then returns and
   * the workflow calls again while some remain: many small images cost a few Temporal round
   * trips instead of one per batch, and a very long mirror still shows progress in the history.
   */
  mediaCallBudgetMs: number;
  logger: Logger;
  metrics?: Metrics;
}

/** After this many attempts, a media link Blip keeps refusing is recorded as unavailable. */
const MEDIA_ATTEMPTS_BEFORE_GIVING_UP = 5;

export function createMirrorMediaBatch(deps: MediaMirrorDeps) {
  const { db } = deps;
  return async ({ tenantId, ticketId }: TicketRef): Promise<MediaBatchResult> => {
    const started = Date.now();
    let stored = 0;
    let unavailable = 0;
    let batch = await pendingMedia(db, tenantId, ticketId, deps.mediaBatchSize);
    if (batch.length > 0) {
      await withBlip(deps.blipFor, tenantId, async (blip) => {
        const refresh = async (uri: string) => {
          try {
            return await blip.refreshMediaUri(uri, { signal: cancellationSignal() });
          } catch (err) {
            if (err instanceof BlipNotFoundError) return null;
            throw err;
          }
        };
        const progress = throttledHeartbeat();
        const signal = cancellationSignal();
        while (batch.length > 0) {
          const results: MediaResult[] = [];
          try {
            await eachLimited(
              batch,
              deps.mediaParallelism,
              async (item) => {
                const outcome = await mirrorMedia(
                  tenantId,
                  { uri: item.originalUri, declaredType: item.declaredType },
                  {
                    store: deps.store,
                    maxBytes: deps.mediaMaxBytes,
                    allowedOrigins: deps.mediaAllowedOrigins,
                    timeoutMs: deps.mediaTimeoutMs,
                    refresh,
                    giveUpOnRefusedRefresh: activityAttempt() >= MEDIA_ATTEMPTS_BEFORE_GIVING_UP,
                    onProgress: progress,
                    signal,
                  },
                );
                results.push({ messageId: item.messageId, ordinal: item.ordinal, ...outcome });
                heartbeat();
              },
              signal,
            );
          } finally {
            // What finished is recorded even when another file of the batch failed: the retry
            // takes up only what is still pending.
            await markMediaResults(db, tenantId, ticketId, results);
            for (const r of results) {
              if (r.status === 'stored') {
                deps.metrics?.media.inc({ tenant: tenantId, outcome: 'stored' });
                deps.metrics?.mediaBytes.inc({ tenant: tenantId }, r.size);
                stored++;
              } else {
                deps.logger.warn(
                  { tenantId, ticketId, messageId: r.messageId, reason: r.reason },
                  'media unavailable',
                );
                deps.metrics?.media.inc({ tenant: tenantId, outcome: 'unavailable' });
                unavailable++;
              }
            }
          }
          if (Date.now() - started >= deps.mediaCallBudgetMs) break;
          batch = await pendingMedia(db, tenantId, ticketId, deps.mediaBatchSize);
        }
      });
    }
    return { stored, unavailable, remaining: await countPendingMedia(db, tenantId, ticketId) };
  };
}
