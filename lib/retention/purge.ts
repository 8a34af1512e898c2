import type { SecretBox } from '../crypto/secret-box';
import { contactTargetsOf } from '../db/export-targets';
import { lockMediaObjects } from '../db/media';
import type { Db } from '../db/pool';
import { HELD_TICKET_SQL } from '../db/retention';
import { eraseSealData } from '../db/seals';
import { ticketMediaPrefix } from '../media/keys';
import type { SearchClient } from '../search/client';
import { writeTarget } from '../search/migrate';
import type { CollectionNames } from '../search/schema';
import { withTenantFilter } from '../search/tenant-scope';
import type { ObjectStore } from '../storage/object-store';
import { writeTombstone } from './erasure-hash';

/**
 * Deletes one archived ticket everywhere it lives, for retention or an erasure request:
 *
 * 1. Typesense: the ticket document and its message documents (derived data);
 * 2. GCS: the PDFs of exports that contain it (the ticket's own exports and its contact's
 *    exports) and each media object no media row of another ticket of the tenant still uses
 *    (small media are content-addressed and shared: `<tenant>/media/<sha256>`), then every object
 *    under the ticket's own media prefix (large media, lib/media/keys.ts), recorded or not: one a
 *    killed worker wrote but never recorded goes too;
 * 3. Postgres, in one transaction: media, messages, those exports' rows and the ticket, with the
 *    audit entry (ids and counts, never content) written in the same transaction.
 *
 * Every step is idempotent and Postgres goes last, so a crash anywhere is repaired by running the
 * purge again: the ticket is only gone from the source of truth once everything derived from it is
 * gone. The hold is checked under the ticket's row lock, taken before anything is touched and
 * kept until the rows are gone; placing a hold takes the same lock (placeLegalHold), so a hold
 * can never cover a ticket whose files are already deleted.
 */

export interface PurgeDeps {
  db: Db;
  store: ObjectStore;
  search: SearchClient;
  collections: CollectionNames;
  /** Keys the erasure tombstones (lib/retention/erasure-hash.ts). */
  box: SecretBox;
  /** Test seam: runs after the hold check, under the ticket lock, before anything is deleted. */
  hooks?: { afterDecision?: (ticketId: string) => Promise<void> };
}

export interface PurgeCounts {
  tickets: number;
  messages: number;
  media: number;
  /** GCS objects deleted: unshared media objects and export PDFs. */
  objects: number;
  exports: number;
}

export const emptyCounts = (): PurgeCounts => ({ tickets: 0, messages: 0, media: 0, objects: 0, exports: 0 });

export function addCounts(a: PurgeCounts, b: PurgeCounts): PurgeCounts {
  return {
    tickets: a.tickets + b.tickets,
    messages: a.messages + b.messages,
    media: a.media + b.media,
    objects: a.objects + b.objects,
    exports: a.exports + b.exports,
  };
}

export interface PurgeRequest {
  tenantId: string;
  ticketId: string;
  /** Recorded in audit_log, e.g. `system:retention` or the requester of an erasure. */
  actor: string;
  /** audit_log action, e.g. `ticket.retention-delete` or `ticket.erase`. */
  action: string;
  /** Extra audit details (no content): the workflow id, the cutoff, the request. */
  details?: Record<string, unknown>;
  /** An erasure: leave a tombstone so no webhook or backfill brings the ticket back. */
  tombstone?: boolean;
}

export type PurgeOutcome = { status: 'deleted' | 'absent' | 'held'; counts: PurgeCounts };

/** Typesense filter values go between backticks; ids with a backtick are never ours. */
function filterValue(value: string): string {
  if (value.includes('`')) throw new Error('unexpected backtick in a tenant or ticket id');
  return `\`${value}\``;
}

const isNotFound = (err: unknown) => (err as { httpStatus?: number }).httpStatus === 404;

export async function deleteTicketFromSearch(
  search: SearchClient,
  collections: CollectionNames,
  tenantId: string,
  ticketId: string,
): Promise<void> {
  const ticket = `ticket_id:=${filterValue(ticketId)}`;
  // collectionNames() are the names (or aliases) searches use, so deleting through them reaches
  // whatever collection is live.
  // The recent-messages collection holds copies of some message documents: they go too.
  for (const name of [collections.messages, collections.messagesRecent, collections.tickets]) {
    if (!name) continue;
    const collection = await writeTarget(search, name);
    try {
      // On tenant_key (a tenant_id filter also matches look-alike tenants: tenant-scope.ts); a
      // collection from before that field answers 404 for it, which must not pass for "absent".
      await withTenantFilter(tenantId, (tenant) =>
        search
          .collections(collection)
          .documents()
          .delete({ filter_by: `${tenant} && ${ticket}` }),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export async function purgeTicket(
  deps: PurgeDeps,
  req: PurgeRequest,
  onProgress: () => void = () => undefined,
): Promise<PurgeOutcome> {
  const { db, store } = deps;
  const { tenantId, ticketId } = req;
  const client = await db.connect();
  let externalTouched = false;
  try {
    await client.query('begin');
    // The ticket row lock is the one placeLegalHold takes on every ticket a hold covers: from here
    // to the commit no hold can land on this ticket, so the check below stays true while the
    // derived copies go.
    const { rows: locked } = await client.query<{
      customer_identity: string;
      contact_identity: string | null;
      tunnel_originator: string | null;
      close_date: Date | null;
    }>(
      `select t.customer_identity, t.contact_identity, t.tunnel_originator, t.close_date
         from tickets t where t.tenant_id = $1 and t.ticket_id = $2 for update`,
      [tenantId, ticketId],
    );
    const ticket = locked[0];
    if (!ticket) {
      await client.query('commit');
      return { status: 'absent', counts: emptyCounts() };
    }
    // A statement of its own, after the lock: its snapshot sees a hold committed while we waited
    // (a subquery of the locking statement would not).
    const { rows: heldRows } = await client.query<{ held: boolean }>(
      `select ${HELD_TICKET_SQL} as held from tickets t where t.tenant_id = $1 and t.ticket_id = $2`,
      [tenantId, ticketId],
    );
    if (heldRows[0]?.held) {
      await client.query('commit');
      return { status: 'held', counts: emptyCounts() };
    }
    const identities = [ticket.customer_identity, ticket.contact_identity, ticket.tunnel_originator].filter(
      (i): i is string => Boolean(i),
    );
    await deps.hooks?.afterDecision?.(ticketId);

    externalTouched = true;
    // Recorded outside this transaction, before the documents go: a full reindex copying Postgres
    // into new collections meanwhile may already hold them, and replays this after its alias swap
    // (activities/ops.ts reindexReplayDeletions), waiting on this ticket's lock to see the outcome.
    await db.query('insert into search_deletions (tenant_id, ticket_id) values ($1, $2)', [
      tenantId,
      ticketId,
    ]);
    await deleteTicketFromSearch(deps.search, deps.collections, tenantId, ticketId);
    onProgress();

    // Exports holding this ticket: its own, and its contact's (a contact PDF prints every ticket).
    const { rows: exportRows } = await client.query<{ export_id: string; storage_key: string | null }>(
      `select export_id, storage_key from exports
        where tenant_id = $1 and ((kind = 'ticket' and target = $2) or (kind = 'contact' and target = any($3::text[])))`,
      [tenantId, ticketId, contactTargetsOf(deps.box, tenantId, identities)],
    );
    let objects = 0;
    for (const e of exportRows) {
      const keys = new Set([
        `${tenantId}/exports/${e.export_id}.pdf`,
        ...(e.storage_key ? [e.storage_key] : []),
      ]);
      for (const key of keys) {
        if (await store.head(key)) objects++;
        await store.delete(key);
      }
      onProgress();
    }

    // Media objects that no other ticket of this tenant references, decided under each object's
    // lock, held to the commit: a mirror of another ticket recording the same object meanwhile
    // either went first (its row counts below) or finds the object gone and stores it again.
    const { rows: ownKeys } = await client.query<{ storage_key: string }>(
      `select distinct storage_key from media where tenant_id = $1 and ticket_id = $2 and storage_key is not null`,
      [tenantId, ticketId],
    );
    await lockMediaObjects(
      client,
      ownKeys.map((r) => r.storage_key),
    );
    const { rows: unshared } = await client.query<{ storage_key: string; sha256: string }>(
      `select distinct m.storage_key, m.sha256 from media m
        where m.tenant_id = $1 and m.ticket_id = $2 and m.storage_key is not null
          and not exists (select 1 from media o
                           where o.tenant_id = m.tenant_id and o.sha256 = m.sha256
                             and o.storage_key = m.storage_key and o.ticket_id <> m.ticket_id)`,
      [tenantId, ticketId],
    );
    for (const { storage_key } of unshared) {
      if (await store.head(storage_key)) objects++;
      await store.delete(storage_key);
      onProgress();
    }
    // Large media live under the ticket's own prefix, never shared with another ticket: listed
    // rather than taken from the rows, so an object no row points at (a worker killed between its
    // upload and its row, an attempt that lost the race to record) is erased with the ticket.
    for (const { key } of await store.list(ticketMediaPrefix(tenantId, ticketId))) {
      await store.delete(key);
      objects++;
      onProgress();
    }

    const media = await client.query('delete from media where tenant_id = $1 and ticket_id = $2', [
      tenantId,
      ticketId,
    ]);
    // The text read from those objects (issue 18) goes with them.
    await client.query('delete from media_text where tenant_id = $1 and sha256 = any($2::text[])', [
      tenantId,
      unshared.map((r) => r.sha256),
    ]);
    const messages = await client.query('delete from messages where tenant_id = $1 and ticket_id = $2', [
      tenantId,
      ticketId,
    ]);
    const exportsDeleted = await client.query(
      'delete from exports where tenant_id = $1 and export_id = any($2::uuid[])',
      [tenantId, exportRows.map((e) => e.export_id)],
    );
    await client.query('delete from tickets where tenant_id = $1 and ticket_id = $2', [tenantId, ticketId]);
    // Seals are append-only: their sealed data (the personal content) goes, their signed envelope,
    // root and place in the tenant's chain stay (docs/evidence.md, "Erasure").
    const sealsErased = await eraseSealData(client, tenantId, ticketId);
    if (req.tombstone) await writeTombstone(client, deps.box, { tenantId, kind: 'ticket', value: ticketId });
    const counts: PurgeCounts = {
      tickets: 1,
      messages: messages.rowCount ?? 0,
      media: media.rowCount ?? 0,
      objects,
      exports: exportsDeleted.rowCount ?? 0,
    };
    await client.query(
      'insert into audit_log (tenant_id, actor, action, target, details) values ($1, $2, $3, $4, $5::jsonb)',
      [
        tenantId,
        req.actor.slice(0, 200),
        req.action,
        ticketId,
        JSON.stringify({
          ...req.details,
          closedAt: ticket.close_date?.toISOString() ?? null,
          messages: counts.messages,
          media: counts.media,
          objects: counts.objects,
          exports: counts.exports,
          exportIds: exportRows.map((e) => e.export_id),
          sealsErased,
        }),
      ],
    );
    await client.query('commit');
    return { status: 'deleted', counts };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    // Some derived copies may be gone while the rows stay: the reindex sweeper puts the search
    // documents back, and the retried purge (Temporal retries it) finishes the rest.
    if (externalTouched)
      await db
        .query('update tickets set indexed_at = null where tenant_id = $1 and ticket_id = $2', [
          tenantId,
          ticketId,
        ])
        .catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
