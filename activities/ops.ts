import { ApplicationFailure } from '@temporalio/activity';
import type { BlipClient } from '../lib/blip';
import type { SecretBox } from '../lib/crypto';
import type { Db } from '../lib/db/pool';
import { isTenantDisabled } from '../lib/db/tenant-access';
import { markTicketIndexed } from '../lib/db/tickets';
import type { Logger } from '../lib/logger';
import { isErased } from '../lib/retention/erasure-hash';
import { deleteTicketFromSearch } from '../lib/retention/purge';
import type { SearchClient } from '../lib/search/client';
import { type IndexHooks, indexTicket, TicketNotArchivedError } from '../lib/search/indexer';
import { aliasTarget, createCollection, versionedName, versionOf } from '../lib/search/migrate';
import { COLLECTION_KINDS, type CollectionNames } from '../lib/search/schema';
import { heartbeat } from './activity-context';
import { classified } from './failures';
import type { OpsActivities } from './ops-types';

/**
 * Operations activities: one bounded page of Blip's closed-ticket listing for a backfill, and the
 * steps of a search reindex (build versioned collections from Postgres, swap the aliases).
 */
export interface OpsDeps {
  db: Db;
  search: SearchClient;
  collections: CollectionNames;
  blipFor: (tenantId: string) => Promise<BlipClient>;
  logger: Logger;
  /** Keys the erasure tombstones (lib/retention/erasure-hash.ts). */
  box: SecretBox;
  /** Test seam: runs before the aliases are swapped. */
  opsHooks?: { beforeSwap?: () => Promise<void> };
  /** Test seam: what indexing does after reading (and locking) a ticket, before writing it. */
  indexHooks?: IndexHooks;
  /** SEARCH_TEXT_DEFAULT_MONTHS: which messages indexing also writes to the recent-messages collection. */
  textWindowMonths?: number;
}

const MAX_PAGE = 100;

export function createOpsActivities(deps: OpsDeps): OpsActivities {
  const { db, search } = deps;

  return {
    listClosedTicketsPage: classified(async ({ tenantId, from, to, skip, take }) => {
      if (await isTenantDisabled(db, tenantId)) {
        throw ApplicationFailure.nonRetryable(
          `tenant ${tenantId} is disabled; backfill refused`,
          'TenantDisabled',
        );
      }
      const size = Math.min(Math.max(1, take), MAX_PAGE);
      const blip = await deps.blipFor(tenantId);
      let ids: string[] = [];
      try {
        // One page per call: the workflow keeps the cursor, so a retry re-reads only this page.
        for await (const page of blip.closedTickets({ from, to }, { pageSize: size, fromSkip: skip })) {
          ids = page.tickets.map((t) => t.id.toLowerCase());
          break;
        }
      } finally {
        await blip.close();
      }
      const { rows } = await db.query<{ ticket_id: string }>(
        'select ticket_id from tickets where tenant_id = $1 and ticket_id = any($2) and archived_at is not null',
        [tenantId, ids],
      );
      const archived = new Set(rows.map((r) => r.ticket_id));
      // An erased ticket Blip still lists is never imported again: counted with the skipped ones.
      for (const id of ids) {
        if (!archived.has(id) && (await isErased(db, deps.box, { tenantId, kind: 'ticket', value: id })))
          archived.add(id);
      }
      return {
        ticketIds: ids.filter((id) => !archived.has(id)),
        listed: ids.length,
        alreadyArchived: ids.filter((id) => archived.has(id)).length,
        nextSkip: skip + ids.length,
        last: ids.length < size,
      };
    }),

    reindexPrepare: classified(async () => {
      const { rows } = await db.query<{ now: Date }>('select now() as now');
      const current = {} as CollectionNames;
      const next = {} as CollectionNames;
      for (const kind of COLLECTION_KINDS) {
        const alias = deps.collections[kind];
        const target = (await aliasTarget(search, alias)) ?? alias;
        current[kind] = target;
        next[kind] = versionedName(alias, versionOf(target) + 1);
        // A leftover of an interrupted reindex is not live (no alias points at it): start it over.
        await search
          .collections(next[kind])
          .delete()
          .catch(() => undefined);
        await createCollection(search, kind, next[kind]);
      }
      return { startedAt: (rows[0]?.now ?? new Date()).toISOString(), current, next };
    }),

    reindexBatch: classified(async ({ tenantId, after, limit, target, since, markIndexed }) => {
      const { rows } = await db.query<{ tenant_id: string; ticket_id: string }>(
        `select tenant_id, ticket_id from tickets
          where archived_at is not null
            and ($1::text is null or tenant_id = $1)
            and ($2::text is null or (tenant_id, ticket_id) > ($2, $3))
            and ($4::timestamptz is null or archived_at >= $4 or indexed_at >= $4)
          order by tenant_id, ticket_id
          limit $5`,
        [tenantId ?? null, after?.tenantId ?? null, after?.ticketId ?? null, since ?? null, limit],
      );
      const names = target ?? deps.collections;
      let messages = 0;
      for (const [i, r] of rows.entries()) {
        let res: { indexedMessages: number };
        try {
          res = await indexTicket(db, search, names, r.tenant_id, r.ticket_id, () => heartbeat(i), {
            textWindowMonths: deps.textWindowMonths,
            ...deps.indexHooks,
          });
        } catch (err) {
          // Purged since it was listed: the purge deleted its documents, none were written back.
          if (err instanceof TicketNotArchivedError) continue;
          throw err;
        }
        if (markIndexed) await markTicketIndexed(db, r.tenant_id, r.ticket_id);
        messages += res.indexedMessages;
        heartbeat(i);
      }
      const last = rows[rows.length - 1];
      return {
        tickets: rows.length,
        messages,
        next: rows.length === limit && last ? { tenantId: last.tenant_id, ticketId: last.ticket_id } : null,
      };
    }),

    reindexSwap: classified(async (plan) => {
      await deps.opsHooks?.beforeSwap?.();
      const dropped: string[] = [];
      for (const kind of COLLECTION_KINDS) {
        const alias = deps.collections[kind];
        // A plan made before the recent-messages collection existed has none to swap.
        if (!plan.next[kind]) continue;
        await search.aliases().upsert(alias, { collection_name: plan.next[kind] });
        const old = plan.current[kind];
        if (old !== plan.next[kind] && old !== alias) {
          await search
            .collections(old)
            .delete()
            .catch((err: { httpStatus?: number }) => {
              if (err.httpStatus !== 404) throw err;
            });
          dropped.push(old);
        }
      }
      deps.logger.info({ next: plan.next, dropped }, 'search aliases swapped');
      return { dropped };
    }),

    reindexReplayDeletions: classified(async ({ since }) => {
      const { rows } = await db.query<{ tenant_id: string; ticket_id: string }>(
        `select distinct tenant_id, ticket_id from search_deletions where deleted_at >= $1
          order by tenant_id, ticket_id`,
        [since],
      );
      let tickets = 0;
      for (const [i, r] of rows.entries()) {
        // FOR SHARE waits for a purge still holding the ticket's lock; a ticket still archived
        // afterwards (its purge rolled back, or it was archived again) keeps its documents.
        const { rowCount } = await db.query(
          'select 1 from tickets where tenant_id = $1 and ticket_id = $2 for share',
          [r.tenant_id, r.ticket_id],
        );
        if (rowCount) continue;
        await deleteTicketFromSearch(search, deps.collections, r.tenant_id, r.ticket_id);
        tickets++;
        heartbeat(i);
      }
      // Only one full reindex runs at a time (reindex/all) and a later one starts later: what was
      // recorded before this one started is of no further use, and holds ids of erased tickets.
      await db.query('delete from search_deletions where deleted_at < $1', [since]);
      return { tickets };
    }),
  };
}
