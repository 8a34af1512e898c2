import { mediaKind, mediaKindsOfTicket, mediaTextOfMessages } from '../db/media-text';
import { messagesPage } from '../db/messages';
import { type Db, inTransaction, type Queryable } from '../db/pool';
import type { SearchClient } from './client';
import { writeTarget } from './migrate';
import { phoneDigits, phoneFromIdentity, phoneVariants } from './phone';
import { recentCutoff } from './recent-messages';
import { type CollectionNames, type MediaSource, messageDocId, ticketDocId } from './schema';
import { MIN_PHONE_TAIL_DIGITS, phoneTailToken } from './search-extras';
import { tenantKey } from './tenant-scope';

/**
 * Indexes one archived ticket from Postgres into Typesense: the ticket document, then its
 * messages in batches (upserts, so re-indexing is harmless). Any document Typesense refuses
 * fails the whole call, so a half-indexed ticket is retried rather than marked indexed.
 *
 * The ticket row is held FOR SHARE from the read to the last upsert. A purge deletes the search
 * documents under the row's FOR UPDATE lock (lib/retention/purge.ts), so the two never interleave:
 * an indexing that read the ticket first finishes its writes before the purge deletes them, and
 * one that comes second waits for the purge and finds the ticket gone (TicketNotArchivedError),
 * writing nothing. Without the lock, an indexing that had read the ticket before the purge
 * re-added its documents after the purge deleted them (a per-tenant reindex, the archive's index
 * step, the sweeper).
 */

export class IndexingError extends Error {
  override name = 'IndexingError';
}

/** The ticket is not (or no longer: purged) archived; nothing was written. */
export class TicketNotArchivedError extends IndexingError {
  override name = 'TicketNotArchivedError';
}

export interface IndexHooks {
  /** Test seam: runs after the ticket is read (and locked), before anything is written. */
  beforeWrite?: (tenantId: string, ticketId: string) => Promise<void>;
  /**
   * SEARCH_TEXT_DEFAULT_MONTHS: messages sent within this window (plus a margin) are also written
   * to the recent-messages collection (recent-messages.ts); 0 or unset: they are not.
   */
  textWindowMonths?: number;
  /** The clock the window is measured from (tests). */
  now?: () => Date;
}

const BATCH = 500;
const epochSeconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : undefined);

async function importDocuments(client: SearchClient, collection: string, docs: object[]): Promise<void> {
  if (docs.length === 0) return;
  let results: Array<{ success: boolean; error?: string }>;
  try {
    results = (await client.collections(collection).documents().import(docs, { action: 'upsert' })) as never;
  } catch (err) {
    // typesense-js throws ImportError carrying the per-document results when any line failed.
    const partial = (err as { importResults?: Array<{ success: boolean; error?: string }> }).importResults;
    if (!partial) throw err;
    results = partial;
  }
  const failed = results.filter((r) => !r.success);
  if (failed.length > 0) {
    throw new IndexingError(
      `${failed.length} of ${docs.length} documents refused by ${collection}: ${failed[0]?.error}`,
    );
  }
}

export async function indexTicket(
  db: Db,
  client: SearchClient,
  names: CollectionNames,
  tenantId: string,
  ticketId: string,
  onBatch?: () => void,
  hooks?: IndexHooks,
): Promise<{ indexedMessages: number }> {
  return inTransaction(db, (q) => indexLocked(q, client, names, tenantId, ticketId, onBatch, hooks));
}

async function indexLocked(
  db: Queryable,
  client: SearchClient,
  names: CollectionNames,
  tenantId: string,
  ticketId: string,
  onBatch?: () => void,
  hooks?: IndexHooks,
): Promise<{ indexedMessages: number }> {
  const { rows } = await db.query<{
    sequential_id: number | null;
    contact_identity: string | null;
    customer_identity: string;
    tunnel_originator: string | null;
    contact_name: string | null;
    contact_phone: string | null;
    channel: string | null;
    agent_identity: string | null;
    team: string | null;
    tags: string[] | null;
    status: string | null;
    open_date: Date | null;
    close_date: Date | null;
    storage_date: Date | null;
    message_count: number | null;
    media_count: number | null;
  }>(
    `select sequential_id, contact_identity, customer_identity, tunnel_originator, contact_name, contact_phone,
            channel, agent_identity, team, tags, status, open_date, close_date, storage_date, message_count, media_count
       from tickets where tenant_id = $1 and ticket_id = $2 and archived_at is not null
        for share`,
    [tenantId, ticketId],
  );
  const t = rows[0];
  if (!t)
    throw new TicketNotArchivedError(`ticket ${ticketId} of ${tenantId} is not archived; nothing to index`);
  await hooks?.beforeWrite?.(tenantId, ticketId);
  const phone =
    t.contact_phone ?? phoneFromIdentity(t.tunnel_originator) ?? phoneFromIdentity(t.customer_identity);
  const tenant_key = tenantKey(tenantId);
  const closedAt = epochSeconds(t.close_date ?? t.storage_date) ?? 0;
  // Writes go to the collections behind the aliases (see writeTarget).
  const target = {
    tickets: await writeTarget(client, names.tickets),
    messages: await writeTarget(client, names.messages),
  };
  // The same documents again for the messages within the window (a reindex plan started before the
  // recent collection existed names none: the swap's rebuild or the next reindex fills it).
  const cutoff = names.messagesRecent
    ? recentCutoff(hooks?.now?.() ?? new Date(), hooks?.textWindowMonths)
    : null;
  const recent = cutoff === null ? null : { cutoff, target: await writeTarget(client, names.messagesRecent) };
  await importDocuments(client, target.tickets, [
    {
      id: ticketDocId(tenantId, ticketId),
      tenant_id: tenantId,
      tenant_key,
      ticket_id: ticketId,
      sequential_id: t.sequential_id ?? undefined,
      contact_identity: t.contact_identity ?? t.customer_identity,
      contact_name: t.contact_name ?? undefined,
      contact_phone: phone ?? undefined,
      // Its last four digits too, found only together with a date range or a name (query.ts).
      phones: [
        ...phoneVariants(phone),
        ...(phoneDigits(phone ?? '').length >= MIN_PHONE_TAIL_DIGITS
          ? [phoneTailToken(phoneDigits(phone ?? ''))]
          : []),
      ],
      channel: t.channel ?? undefined,
      agent: t.agent_identity ?? undefined,
      team: t.team ?? undefined,
      tags: t.tags ?? [],
      status: t.status ?? undefined,
      opened_at: epochSeconds(t.open_date ?? t.storage_date),
      closed_at: closedAt,
      message_count: t.message_count ?? 0,
      media_count: t.media_count ?? 0,
      media_kinds: await mediaKindsOfTicket(db, tenantId, ticketId),
    },
  ]);
  let indexed = 0;
  for (let after = -1; ; ) {
    const page = await messagesPage(db, tenantId, ticketId, after, BATCH);
    if (page.length === 0) break;
    const mediaText = await mediaTextByMessage(
      db,
      tenantId,
      ticketId,
      page.map((m) => m.messageId),
    );
    const docs = page.map((m) => ({
      id: messageDocId(tenantId, ticketId, m.messageId),
      tenant_id: tenantId,
      tenant_key,
      ticket_id: ticketId,
      message_id: m.messageId,
      position: m.position,
      direction: m.direction,
      text: m.text,
      // A message Blip gave no date takes its ticket's close: the recent-months window of free text
      // (recent-messages.ts textWindowSince) filters on sent_at, and must not drop it as "no date".
      sent_at: epochSeconds(m.sentAt) ?? closedAt,
      ...mediaText.get(m.messageId),
    }));
    await importDocuments(client, target.messages, docs);
    if (recent)
      await importDocuments(
        client,
        recent.target,
        docs.filter((d) => d.sent_at >= recent.cutoff),
      );
    indexed += page.length;
    after = page[page.length - 1]?.position ?? after;
    onBatch?.();
  }
  return { indexedMessages: indexed };
}

/** Each message's media text as the two parallel arrays of the messages schema. */
async function mediaTextByMessage(
  db: Queryable,
  tenantId: string,
  ticketId: string,
  messageIds: string[],
): Promise<Map<string, { media_text: string[]; media_sources: string[] }>> {
  const out = new Map<string, { media_text: string[]; media_sources: string[] }>();
  for (const item of await mediaTextOfMessages(db, tenantId, ticketId, messageIds)) {
    const kind = mediaKind(item.contentType) === 'image' ? 'image' : 'document';
    const entry = out.get(item.messageId) ?? { media_text: [], media_sources: [] };
    for (const part of item.parts) {
      const source: MediaSource = { kind, name: item.title, page: part.page };
      entry.media_text.push(part.text);
      entry.media_sources.push(JSON.stringify(source));
    }
    out.set(item.messageId, entry);
  }
  return out;
}
