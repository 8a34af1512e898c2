import { createHash } from 'node:crypto';
import type { Config } from '../../lib/config';
import type { Db } from '../../lib/db/pool';
import { createSealKeyProvider } from '../../lib/integrity/key-provider';
import { verifyTicket } from '../../lib/integrity/verify';
import { ticketMediaPrefix } from '../../lib/media/keys';
import type { SearchClient } from '../../lib/search/client';
import type { CollectionNames } from '../../lib/search/schema';
import type { ObjectStore } from '../../lib/storage/object-store';
import type { ExpectedTicket } from './tickets';

/**
 * The end-of-run audit, from the stores themselves: Postgres rows, GCS bytes, the sealed digests
 * and the Typesense index, each compared with what the simulator holds.
 * - lost: a ticket not archived, or archived with a message or media object missing or different;
 * - duplicated: more than one row, document or object where exactly one belongs.
 */
export interface TicketProblem {
  ticketId: string;
  kind: 'lost' | 'duplicated';
  what: string;
}

export interface VerifyReport {
  checked: number;
  lost: number;
  duplicated: number;
  problems: TicketProblem[];
  messages: number;
  media: number;
  mediaBytes: number;
}

async function objectSha256(store: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of store.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Documents of one ticket in a collection (tenant and ticket filter, as the read API scopes). */
async function docCount(
  search: SearchClient,
  collection: string,
  tenantId: string,
  ticketId: string,
): Promise<number> {
  const res = (await search
    .collections(collection)
    .documents()
    .search({
      q: '*',
      query_by: collection.endsWith('messages') ? 'text' : 'contact_name',
      filter_by: `tenant_id:=${tenantId} && ticket_id:=${ticketId}`,
      per_page: 0,
    } as never)) as { found: number };
  return res.found;
}

export async function verifyArchive(deps: {
  db: Db;
  store: ObjectStore;
  search: SearchClient;
  collections: CollectionNames;
  config: Config;
  tickets: ExpectedTicket[];
}): Promise<VerifyReport> {
  const { db, store, tickets } = deps;
  const sealKeys = createSealKeyProvider(deps.config, db);
  const problems: TicketProblem[] = [];
  let messages = 0;
  let media = 0;
  let mediaBytes = 0;
  const checkedObjects = new Map<string, string>();
  for (const t of tickets) {
    const lost = (what: string) => problems.push({ ticketId: t.id, kind: 'lost', what });
    const dup = (what: string) => problems.push({ ticketId: t.id, kind: 'duplicated', what });
    const rows = await db.query<{ archived: boolean }>(
      'select archived_at is not null as archived from tickets where tenant_id = $1 and ticket_id = $2',
      [t.bot, t.id],
    );
    if (rows.rows.length === 0) {
      lost('no tickets row');
      continue;
    }
    if (rows.rows.length > 1) dup(`${rows.rows.length} tickets rows`);
    if (!rows.rows[0]?.archived) lost('ticket not sealed as archived');
    const { rows: msgs } = await db.query<{ message_id: string; position: number }>(
      'select message_id, position from messages where tenant_id = $1 and ticket_id = $2 order by position',
      [t.bot, t.id],
    );
    messages += msgs.length;
    const ids = msgs.map((m) => m.message_id);
    if (new Set(ids).size !== ids.length) dup('a message stored twice');
    const positions = msgs.map((m) => m.position);
    if (new Set(positions).size !== positions.length) dup('two messages share a position');
    if (msgs.length > t.messageIds.length)
      dup(`${msgs.length} messages stored, simulator has ${t.messageIds.length}`);
    if (positions.some((p, i) => p !== i) && new Set(positions).size === positions.length)
      lost('positions are not 0..n-1');
    const missing = t.messageIds.filter((id) => !ids.includes(id));
    if (missing.length > 0) lost(`${missing.length} messages missing (first ${missing[0]})`);
    else if (ids.join('\n') !== t.messageIds.join('\n')) lost('messages out of order');

    const { rows: mediaRows } = await db.query<{
      message_id: string;
      status: string;
      sha256: string | null;
      storage_key: string | null;
      reason: string | null;
    }>(
      'select message_id, status, sha256, storage_key, reason from media where tenant_id = $1 and ticket_id = $2',
      [t.bot, t.id],
    );
    if (mediaRows.length > t.media.length) dup(`${mediaRows.length} media rows for ${t.media.length} media`);
    for (const m of t.media) {
      const row = mediaRows.find((r) => r.message_id === m.messageId);
      if (!row) {
        lost(`media of ${m.messageId} has no row`);
        continue;
      }
      if (row.status !== 'stored' || !row.storage_key) {
        lost(`media of ${m.messageId} is ${row.status}${row.reason ? ` (${row.reason})` : ''}`);
        continue;
      }
      if (row.sha256 !== m.sha256) {
        lost(`media of ${m.messageId}: sha-256 ${row.sha256} differs from the simulator's ${m.sha256}`);
        continue;
      }
      // Small media by content address, large ones under the ticket's own prefix (lib/media/keys.ts).
      if (
        row.storage_key !== `${t.bot}/media/${m.sha256}` &&
        !row.storage_key.startsWith(ticketMediaPrefix(t.bot, t.id))
      )
        lost(`media of ${m.messageId} stored at ${row.storage_key}`);
      let stored = checkedObjects.get(row.storage_key);
      if (stored === undefined) {
        stored = await objectSha256(store, row.storage_key).catch(
          (err: Error) => `unreadable: ${err.message}`,
        );
        checkedObjects.set(row.storage_key, stored);
        mediaBytes += m.size;
      }
      if (stored !== m.sha256) lost(`object ${row.storage_key} is not byte-identical (${stored})`);
      media++;
    }

    const verdict = await verifyTicket(db, store, t.bot, t.id, sealKeys);
    if (!verdict) lost('verify: not archived');
    else if (!verdict.ok)
      lost(
        `verify failed: ${verdict.problems
          .slice(0, 3)
          .map((p) => p.message)
          .join('; ')}`,
      );

    const ticketDocCount = await docCount(deps.search, deps.collections.tickets, t.bot, t.id);
    if (ticketDocCount === 0) lost('no Typesense ticket document');
    if (ticketDocCount > 1) dup(`${ticketDocCount} Typesense ticket documents`);
    const messageDocCount = await docCount(deps.search, deps.collections.messages, t.bot, t.id);
    if (messageDocCount < msgs.length) lost(`Typesense has ${messageDocCount} of ${msgs.length} messages`);
    if (messageDocCount > msgs.length)
      dup(`Typesense has ${messageDocCount} documents for ${msgs.length} messages`);
  }
  // Content addressing: one object per distinct content, never a second copy.
  const tenants = [...new Set(tickets.map((t) => t.bot))];
  for (const tenant of tenants) {
    const { rows } = await db.query<{ n: number }>(
      `select count(*)::int as n from (select storage_key from media where tenant_id = $1 and status = 'stored'
          group by storage_key having count(distinct sha256) > 1) x`,
      [tenant],
    );
    if ((rows[0]?.n ?? 0) > 0)
      problems.push({
        ticketId: '*',
        kind: 'duplicated',
        what: `${rows[0]?.n} storage keys with two contents`,
      });
  }
  const lostIds = new Set(problems.filter((p) => p.kind === 'lost').map((p) => p.ticketId));
  const dupIds = new Set(problems.filter((p) => p.kind === 'duplicated').map((p) => p.ticketId));
  return {
    checked: tickets.length,
    lost: lostIds.size,
    duplicated: dupIds.size,
    problems,
    messages,
    media,
    mediaBytes,
  };
}
