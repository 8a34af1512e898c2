import { randomUUID } from 'node:crypto';
import { purgeTicket } from '../../lib/retention/purge';
import { indexTicket } from '../../lib/search/indexer';
import { outdatedCollections } from '../../lib/search/migrate';
import { RECENT_MARGIN_DAYS, recentCutoff, trimRecentMessages } from '../../lib/search/recent-messages';
import { messageDocId } from '../../lib/search/schema';
import { tenantKey } from '../../lib/search/tenant-scope';
import { createTicketSearch } from '../../lib/search/ticket-search';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { purgeDepsOf } from '../support/purge-deps';

/**
 * The recent-messages collection (issue 17) against the real Typesense and Postgres: the indexer
 * copies the window's messages there with their tenant_key, the default free-text search reads it
 * (and never another tenant's, look-alike ids included), a purge or an erasure removes a ticket's
 * copies, and the trim removes only what fell out of the window.
 */

const DAY = 86_400_000;
const WINDOW = 6;
// Look-alikes: Typesense's tenant_id filter would mix them (lib/search/tenant-scope.ts).
const OWNER = 'loja-recente';
const LOOKALIKE = 'lojarecente';
let env: ArchiveEnv;

beforeAll(async () => {
  env = await startArchiveEnv({ worker: false, env: { SEARCH_TEXT_DEFAULT_MONTHS: String(WINDOW) } });
  for (const identifier of [OWNER, LOOKALIKE]) {
    env.sim.store.bots.push({
      identifier,
      identity: `${identifier}@msging.net`,
      secret: `secret-of-${identifier}-${randomUUID()}`,
    });
    // The tenant exists as an installation admits it: through the webhook (no worker needed).
    await env.webhook(randomUUID(), env.sim.authorizationOf(identifier));
  }
}, 120_000);

afterAll(async () => {
  await env?.close();
});

let seq = 0;
/** An archived ticket in Postgres with one message per entry, sent `daysAgo` days ago; indexed. */
async function archivedTicket(tenantId: string, messages: Array<{ text: string; daysAgo: number }>) {
  const ticketId = randomUUID();
  const closed = new Date(Date.now() - Math.min(...messages.map((m) => m.daysAgo)) * DAY);
  await env.db.query(
    `insert into tickets (tenant_id, ticket_id, sequential_id, customer_identity, contact_identity, channel,
        open_date, close_date, message_count, media_count, digest, raw, archived_at, indexed_at, status, closed)
      values ($1, $2, $3, 'c@wa.gw.msging.net', 'c@wa.gw.msging.net', 'WhatsApp', $4, $4, $5, 0,
        repeat('0', 64), '{}'::jsonb, now(), now(), 'ClosedAttendant', true)`,
    [tenantId, ticketId, 88_000 + seq++, closed, messages.length],
  );
  for (const [position, m] of messages.entries()) {
    await env.db.query(
      `insert into messages (tenant_id, ticket_id, message_id, position, direction, sent_at, type, text, raw,
          raw_sha256, in_ticket_window)
        values ($1, $2, $3, $4, 'customer', $5, 'text/plain', $6, '\\x00'::bytea, repeat('0', 64), true)`,
      [tenantId, ticketId, `m${position}`, position, new Date(Date.now() - m.daysAgo * DAY), m.text],
    );
  }
  await indexTicket(env.db, env.search, env.collections, tenantId, ticketId, undefined, {
    textWindowMonths: WINDOW,
  });
  return ticketId;
}

/** The message ids of a ticket in the recent-messages collection (read directly, no search). */
async function recentDocs(tenantId: string, ticketId: string): Promise<string[]> {
  const res = (await env.search
    .collections(env.collections.messagesRecent)
    .documents()
    .search({
      q: '*',
      filter_by: `tenant_key:=${tenantKey(tenantId)} && ticket_id:=\`${ticketId}\``,
      per_page: 250,
    } as never)) as unknown as { hits?: Array<{ document: { message_id: string } }> };
  return (res.hits ?? []).map((h) => h.document.message_id).sort();
}

const windowed = () => createTicketSearch(env.search, env.collections, { textWindowMonths: WINDOW });
const ids = (r: { hits: Array<{ ticketId: string }> }) => r.hits.map((h) => h.ticketId).sort();

test('the indexer copies only the messages within the window (plus its margin) to the recent collection', async () => {
  const ticketId = await archivedTicket(OWNER, [
    { text: 'jabuticaba antiga', daysAgo: 400 },
    { text: 'jabuticaba recente', daysAgo: 3 },
  ]);
  expect(await recentDocs(OWNER, ticketId)).toEqual(['m1']);
  // The whole collection keeps both.
  const all = (await env.search
    .collections(env.collections.messages)
    .documents()
    .search({ q: '*', filter_by: `ticket_id:=\`${ticketId}\``, per_page: 10 } as never)) as unknown as {
    found: number;
  };
  expect(all.found).toBe(2);
});

test('the default search finds a message in the window; an old one only with textScope=all', async () => {
  const old = await archivedTicket(OWNER, [{ text: 'carambola esquecida', daysAgo: 500 }]);
  const recent = await archivedTicket(OWNER, [{ text: 'carambola nova', daysAgo: 10 }]);
  const q = { q: 'carambola', page: 1, perPage: 10 };
  expect(ids(await windowed().search(OWNER, q))).toEqual([recent]);
  expect(ids(await windowed().search(OWNER, { ...q, textScope: 'all' }))).toEqual([old, recent].sort());
  // What the default search read is the recent collection: with the recent copy gone, the
  // window finds nothing although the whole collection still has the message.
  await env.search
    .collections(env.collections.messagesRecent)
    .documents(messageDocId(OWNER, recent, 'm0'))
    .delete();
  expect(ids(await windowed().search(OWNER, q))).toEqual([]);
  expect(ids(await windowed().search(OWNER, { ...q, textScope: 'all' }))).toEqual([old, recent].sort());
});

test("a look-alike tenant never sees another tenant's recent messages", async () => {
  const mine = await archivedTicket(OWNER, [{ text: 'pitanga segredo', daysAgo: 2 }]);
  const theirs = await archivedTicket(LOOKALIKE, [{ text: 'pitanga deles', daysAgo: 2 }]);
  expect(await recentDocs(OWNER, mine)).toEqual(['m0']);
  const q = { q: 'pitanga', page: 1, perPage: 10 };
  expect(ids(await windowed().search(OWNER, q))).toEqual([mine]);
  expect(ids(await windowed().search(LOOKALIKE, q))).toEqual([theirs]);
  expect(ids(await windowed().search(LOOKALIKE, { q: 'segredo', page: 1, perPage: 10 }))).toEqual([]);
  // The copies carry the same tenant_key as their originals: the look-alike's key matches none of mine.
  expect(await recentDocs(LOOKALIKE, mine)).toEqual([]);
});

const purgeDeps = () => purgeDepsOf(env);

test("a purged ticket's and an erased contact's messages are gone from the recent collection", async () => {
  const expired = await archivedTicket(OWNER, [{ text: 'acerola vencida', daysAgo: 5 }]);
  const erased = await archivedTicket(OWNER, [{ text: 'acerola apagada', daysAgo: 5 }]);
  const kept = await archivedTicket(OWNER, [{ text: 'acerola mantida', daysAgo: 5 }]);
  expect(await recentDocs(OWNER, expired)).toEqual(['m0']);
  expect(await recentDocs(OWNER, erased)).toEqual(['m0']);
  const retention = await purgeTicket(purgeDeps(), {
    tenantId: OWNER,
    ticketId: expired,
    actor: 'system:retention',
    action: 'ticket.retention-delete',
  });
  expect(retention.status).toBe('deleted');
  const erasure = await purgeTicket(purgeDeps(), {
    tenantId: OWNER,
    ticketId: erased,
    actor: 'dpo@loja.example',
    action: 'ticket.erase',
    tombstone: true,
  });
  expect(erasure.status).toBe('deleted');
  expect(await recentDocs(OWNER, expired)).toEqual([]);
  expect(await recentDocs(OWNER, erased)).toEqual([]);
  expect(await recentDocs(OWNER, kept)).toEqual(['m0']);
  expect(ids(await windowed().search(OWNER, { q: 'acerola', page: 1, perPage: 10 }))).toEqual([kept]);
});

test('the trim deletes only the documents older than the window and its margin, of every tenant', async () => {
  const cutoff = recentCutoff(new Date(), WINDOW) as number;
  const doc = (tenant: string, id: string, sentAt: number) => ({
    id: messageDocId(tenant, `trim-${id}`, 'm0'),
    tenant_id: tenant,
    tenant_key: tenantKey(tenant),
    ticket_id: `trim-${id}`,
    message_id: 'm0',
    position: 0,
    direction: 'customer',
    text: 'trim',
    sent_at: sentAt,
  });
  // Left behind as the window moved on: just before the cutoff; at it and after it stay.
  await env.search
    .collections(env.collections.messagesRecent)
    .documents()
    .import(
      [
        doc(OWNER, 'stale', cutoff - 1),
        doc(LOOKALIKE, 'stale', cutoff - 30 * 86_400),
        doc(OWNER, 'edge', cutoff),
        doc(OWNER, 'margin', cutoff + 86_400),
        doc(LOOKALIKE, 'fresh', Math.floor(Date.now() / 1000)),
      ] as never,
      { action: 'upsert' },
    );
  const deleted = await trimRecentMessages(env.search, env.collections, WINDOW);
  expect(deleted).toBe(2);
  expect(await recentDocs(OWNER, 'trim-stale')).toEqual([]);
  expect(await recentDocs(LOOKALIKE, 'trim-stale')).toEqual([]);
  expect(await recentDocs(OWNER, 'trim-edge')).toEqual(['m0']);
  expect(await recentDocs(OWNER, 'trim-margin')).toEqual(['m0']);
  expect(await recentDocs(LOOKALIKE, 'trim-fresh')).toEqual(['m0']);
  // The margin: the cutoff is that many days before the window's start.
  expect(RECENT_MARGIN_DAYS).toBeGreaterThan(0);
});

test('an install upgraded with messages but an empty recent collection is reported for reindex', async () => {
  // This env's recent collection is filled; with the window off nothing is asked of it.
  expect(await outdatedCollections(env.search, env.collections, WINDOW)).toEqual([]);
  expect(await outdatedCollections(env.search, env.collections, 0)).toEqual([]);
  await trimRecentMessages(env.search, env.collections, 0); // window off: the collection is emptied
  const outdated = await outdatedCollections(env.search, env.collections, WINDOW);
  expect(outdated).toHaveLength(1);
  expect(outdated[0]).toMatch(/messages_recent_v1$/);
});
