import { type BlipClient, BlipNotFoundError } from '../lib/blip';
import {
  countPendingMedia,
  type MediaResult,
  markMediaResultsLocked,
  type PendingMedia,
  pendingMedia,
  recordMediaFailure,
  releaseMediaAttempt,
  startMediaAttempt,
} from '../lib/db/media';
import type { Db } from '../lib/db/pool';
import { eachLimited } from '../lib/each-limited';
import type { Logger } from '../lib/logger';
import { budgetSpent, type MediaBudget } from '../lib/media/budget';
import type { DeadlinePolicy } from '../lib/media/deadline';
import { MediaLinkError } from '../lib/media/errors';
import { type MirrorDeps, type MirrorOutcome, mirrorMedia } from '../lib/media/mirror';
import type { Metrics } from '../lib/metrics';
import type { ObjectStore } from '../lib/storage/object-store';
import { cancellationSignal, heartbeat, throttledHeartbeat } from './activity-context';
import type { MediaBatchResult, TicketRef } from './archive-types';
import { withBlip } from './with-blip';

/**
 * The mirrorMediaBatch activity: takes the ticket's pending media from Postgres a batch at a
 * time, mirrors them a few at once (lib/media/), heartbeats while bytes flow and records every
 * result. The download, SSRF guard and storage live in lib/media/. Each item has an attempt and
 * wall-time budget counted on its row, so a link that keeps failing is recorded unavailable with
 * the reason and the ticket can still be sealed.
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
  /** When a link that keeps failing is given up on (MEDIA_MAX_ATTEMPTS, MEDIA_MAX_WAIT_SECONDS). */
  mediaBudget: MediaBudget;
  /** One download's overall deadline (MEDIA_DOWNLOAD_DEADLINE_MS, MEDIA_MIN_BYTES_PER_SECOND). */
  mediaDeadline: DeadlinePolicy;
  logger: Logger;
  metrics?: Metrics;
  /** Test seam: runs after a batch is mirrored, before its results are recorded. */
  mediaHooks?: { beforeRecord?: (ticketId: string) => Promise<void> };
}

export function createMirrorMediaBatch(deps: MediaMirrorDeps) {
  const { db } = deps;

  /**
   * One item within its budget: the attempt is counted before it starts (one that never ends, a
   * killed worker, counts too) and handed back when it failed on our side (the store, a
   * cancellation); a failure of the link itself is recorded, and once the budget is spent the
   * item is unavailable with the reason instead of failing the batch again.
   */
  async function mirrorWithinBudget(
    ref: TicketRef,
    item: PendingMedia,
    mirrorDeps: MirrorDeps,
  ): Promise<MirrorOutcome | null> {
    const { tenantId, ticketId } = ref;
    const record = await startMediaAttempt(db, tenantId, ticketId, item);
    if (!record) return null; // recorded meanwhile by an attempt that outlived its heartbeat
    // Only the count is checked before trying: a link whose wait is over still gets this attempt.
    const spentBefore = budgetSpent(
      { attempts: record.attempts - 1, sinceFirstFailureMs: 0 },
      deps.mediaBudget,
    );
    if (spentBefore) {
      const last = record.lastError ?? 'no attempt finished (the worker stopped or timed out each time)';
      return { status: 'unavailable', reason: `${spentBefore}: ${last}` };
    }
    try {
      return await mirrorMedia(
        tenantId,
        {
          uri: item.originalUri,
          declaredType: item.declaredType,
          item: { ticketId, messageId: item.messageId, ordinal: item.ordinal },
        },
        mirrorDeps,
      );
    } catch (err) {
      if (!(err instanceof MediaLinkError) || mirrorDeps.signal?.aborted) {
        await releaseMediaAttempt(db, tenantId, ticketId, item).catch(() => undefined);
        throw err;
      }
      const after = await recordMediaFailure(db, tenantId, ticketId, item, err.message);
      const spent = after && budgetSpent(after, deps.mediaBudget);
      deps.logger.warn(
        { tenantId, ticketId, messageId: item.messageId, attempts: after?.attempts, error: err.message },
        spent ? 'media link given up' : 'media link failed; will retry',
      );
      if (!spent) throw err;
      return { status: 'unavailable', reason: `${spent}: ${err.message}` };
    }
  }

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
        const signal = cancellationSignal();
        const mirrorDeps: MirrorDeps = {
          store: deps.store,
          maxBytes: deps.mediaMaxBytes,
          allowedOrigins: deps.mediaAllowedOrigins,
          timeoutMs: deps.mediaTimeoutMs,
          deadlinePolicy: deps.mediaDeadline,
          refresh,
          onProgress: throttledHeartbeat(),
          signal,
        };
        while (batch.length > 0) {
          const results: MediaResult[] = [];
          try {
            await eachLimited(
              batch,
              deps.mediaParallelism,
              async (item) => {
                const outcome = await mirrorWithinBudget({ tenantId, ticketId }, item, mirrorDeps);
                if (!outcome) return;
                results.push({ messageId: item.messageId, ordinal: item.ordinal, ...outcome });
                heartbeat();
              },
              signal,
            );
          } finally {
            // What finished is recorded even when another file of the batch failed: the retry
            // takes up only what is still pending.
            await deps.mediaHooks?.beforeRecord?.(ticketId);
            const missing = await markMediaResultsLocked(
              db,
              async (key) => (await deps.store.head(key)) !== null,
              tenantId,
              ticketId,
              results,
            );
            for (const r of results) {
              if (missing.includes(r)) continue;
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
