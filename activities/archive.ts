import { ApplicationFailure } from '@temporalio/activity';
import { type BlipClient, BlipNotFoundError } from '../lib/blip';
import { inTicketWindow } from '../lib/blip/window';
import { countPendingMedia, type MediaResult, markMediaResults, pendingMedia } from '../lib/db/media';
import { type MessageRowInput, upsertMessages } from '../lib/db/messages';
import type { Db } from '../lib/db/pool';
import { sealTicket } from '../lib/db/seal';
import { appendSeal, storeSealObject } from '../lib/db/seals';
import { markTicketIndexed, ticketForArchive, upsertTicket } from '../lib/db/tickets';
import { eachLimited } from '../lib/each-limited';
import type { SealKeyProvider } from '../lib/integrity/key-provider';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { SearchClient } from '../lib/search/client';
import { indexTicket } from '../lib/search/indexer';
import type { CollectionNames } from '../lib/search/schema';
import type { ObjectStore } from '../lib/storage/object-store';
import { activityAttempt, cancellationSignal, heartbeat, throttledHeartbeat } from './activity-context';
import type { ArchiveActivities, TicketRef } from './archive-types';
import { classified } from './failures';
import { mirrorMedia } from './media-mirror';

/**
 * The archive activities. Each one is idempotent (upserts keyed by Blip ids, media stored by
 * content hash) and reads the bot key from Postgres itself, so the workflow only ever carries ids.
 */
export interface ArchiveDeps {
  db: Db;
  store: ObjectStore;
  search: SearchClient;
  collections: CollectionNames;
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
  /** The installation's seal signing key (lib/integrity/key-provider.ts). */
  sealKeys: SealKeyProvider;
  /** Creates the search collections if they are missing (a worker may start while Typesense is down). */
  searchReady?: () => Promise<void>;
}

/** After this many attempts, a media link Blip keeps refusing is recorded as unavailable. */
const MEDIA_ATTEMPTS_BEFORE_GIVING_UP = 5;

export function createArchiveActivities(deps: ArchiveDeps): ArchiveActivities {
  const { db } = deps;

  async function withBlip<T>(tenantId: string, run: (blip: BlipClient) => Promise<T>): Promise<T> {
    const blip = await deps.blipFor(tenantId);
    try {
      return await run(blip);
    } finally {
      await blip.close();
    }
  }

  const activities: ArchiveActivities = {
    fetchTicket: classified(async ({ tenantId, ticketId }) =>
      withBlip(tenantId, async (blip) => {
        const signal = cancellationSignal();
        const ticket = await blip.getTicket(ticketId, { signal });
        if (!ticket.closed) {
          // Blip may lag behind the Builder action: retry later rather than archive half a ticket.
          throw ApplicationFailure.retryable(
            `ticket ${ticketId} is still ${ticket.status ?? 'open'} in Blip; will ask again`,
            'TicketStillOpen',
          );
        }
        const customer = ticket.customerIdentity;
        let tunnelOriginator: string | null = null;
        if (ticket.viaTunnel && customer) {
          tunnelOriginator = (await blip.getTunnel(customer, { signal }))?.originator ?? null;
        }
        const contact = customer ? await blip.getContact(customer, { signal }) : null;
        await upsertTicket(db, { tenantId, ticket, contact, tunnelOriginator });
        return { tunnel: ticket.viaTunnel, status: String(ticket.status) };
      }),
    ),

    fetchMessages: classified(async ({ tenantId, ticketId }) => {
      const ticket = await ticketForArchive(db, tenantId, ticketId);
      return withBlip(tenantId, async (blip) => {
        let position = 0;
        let mediaCount = 0;
        let pages = 0;
        for await (const page of blip.ticketMessages(ticketId, {
          tunnel: ticket.viaTunnel,
          customerIdentity: ticket.customerIdentity,
          signal: cancellationSignal(),
        })) {
          const rows: MessageRowInput[] = page.messages.map((message) => ({
            message,
            position: position++,
            inTicketWindow: inTicketWindow(message, ticketId, ticket.windowStart, ticket.windowEnd),
          }));
          mediaCount += (await upsertMessages(db, tenantId, ticketId, rows)).media;
          pages++;
          heartbeat({ pages, messages: position });
        }
        return {
          messageCount: position,
          mediaCount,
          pages,
          pendingMedia: await countPendingMedia(db, tenantId, ticketId),
        };
      });
    }),

    mirrorMediaBatch: classified(async ({ tenantId, ticketId }) => {
      const started = Date.now();
      let stored = 0;
      let unavailable = 0;
      let batch = await pendingMedia(db, tenantId, ticketId, deps.mediaBatchSize);
      if (batch.length > 0) {
        await withBlip(tenantId, async (blip) => {
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
    }),

    sealTicket: classified(async ({ tenantId, ticketId }) => {
      const { digest } = await sealTicket(db, tenantId, ticketId);
      const { seal } = await appendSeal(db, await deps.sealKeys(), tenantId, ticketId);
      // After the commit: a retry finds the same seal (unchanged content) and writes the copy then.
      await storeSealObject(deps.store, seal);
      deps.metrics?.archives.inc({ tenant: tenantId, event: 'sealed' });
      return { digest, sealId: seal.sealId, root: seal.root };
    }),

    indexTicket: classified(async ({ tenantId, ticketId }) => {
      await deps.searchReady?.();
      const result = await indexTicket(db, deps.search, deps.collections, tenantId, ticketId, () =>
        heartbeat(),
      );
      await markTicketIndexed(db, tenantId, ticketId);
      deps.metrics?.archives.inc({ tenant: tenantId, event: 'indexed' });
      return result;
    }),
  };
  return countFailures(activities, deps.metrics);
}

/** A non-retryable failure ends the archive workflow: count it per tenant for the dashboards. */
function countFailures(activities: ArchiveActivities, metrics: Metrics | undefined): ArchiveActivities {
  if (!metrics) return activities;
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(activities) as Array<
    [string, (ref: TicketRef) => Promise<unknown>]
  >) {
    wrapped[name] = async (ref: TicketRef) => {
      try {
        return await fn(ref);
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable)
          metrics.archives.inc({ tenant: ref.tenantId, event: 'failed' });
        throw err;
      }
    };
  }
  return wrapped as unknown as ArchiveActivities;
}
