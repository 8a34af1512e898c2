import { ApplicationFailure } from '@temporalio/activity';
import { inTicketWindow } from '../lib/blip/window';
import { countPendingMedia } from '../lib/db/media';
import { type MessageRowInput, upsertMessages } from '../lib/db/messages';
import { sealTicket } from '../lib/db/seal';
import { appendSeal, storeSealObject } from '../lib/db/seals';
import { markTicketIndexed, ticketForArchive, upsertTicket } from '../lib/db/tickets';
import type { SealKeyProvider } from '../lib/integrity/key-provider';
import type { Metrics } from '../lib/metrics';
import type { SearchClient } from '../lib/search/client';
import { indexTicket } from '../lib/search/indexer';
import type { CollectionNames } from '../lib/search/schema';
import { cancellationSignal, heartbeat } from './activity-context';
import type { ArchiveActivities, TicketRef } from './archive-types';
import { classified } from './failures';
import { createMirrorMediaBatch, type MediaMirrorDeps } from './media-mirror';
import { withBlip } from './with-blip';

/**
 * The archive activities. Each one is idempotent (upserts keyed by Blip ids, media stored by
 * content hash) and reads the bot key from Postgres itself, so the workflow only ever carries ids.
 */
export interface ArchiveDeps extends MediaMirrorDeps {
  search: SearchClient;
  collections: CollectionNames;
  /** The installation's seal signing key (lib/integrity/key-provider.ts). */
  sealKeys: SealKeyProvider;
  /** Creates the search collections if they are missing (a worker may start while Typesense is down). */
  searchReady?: () => Promise<void>;
  /** SEARCH_TEXT_DEFAULT_MONTHS: which messages indexing also writes to the recent-messages collection. */
  textWindowMonths?: number;
}

export function createArchiveActivities(deps: ArchiveDeps): ArchiveActivities {
  const { db } = deps;

  const single = {
    fetchTicket: classified(async ({ tenantId, ticketId }) =>
      withBlip(deps.blipFor, tenantId, async (blip) => {
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
      return withBlip(deps.blipFor, tenantId, async (blip) => {
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

    mirrorMediaBatch: classified(createMirrorMediaBatch(deps)),

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
      const result = await indexTicket(
        db,
        deps.search,
        deps.collections,
        tenantId,
        ticketId,
        () => heartbeat(),
        { textWindowMonths: deps.textWindowMonths },
      );
      await markTicketIndexed(db, tenantId, ticketId);
      deps.metrics?.archives.inc({ tenant: tenantId, event: 'indexed' });
      return result;
    }),
  };
  // The pairs run the same functions (with their failure classification) in one activity call:
  // two Temporal round trips (scheduled, started, completed, and a workflow task) fewer per ticket.
  const activities: ArchiveActivities = {
    ...single,
    fetchTicketAndMessages: async (ref) => {
      await single.fetchTicket(ref);
      const r = await single.fetchMessages(ref);
      return { ...r, pendingMedia: r.pendingMedia ?? 0 };
    },
    sealAndIndexTicket: async (ref) => {
      const sealed = await single.sealTicket(ref);
      const { indexedMessages } = await single.indexTicket(ref);
      return { ...sealed, indexedMessages };
    },
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
