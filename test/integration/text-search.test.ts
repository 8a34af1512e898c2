import { randomUUID } from 'node:crypto';
import { createSearchClient, type SearchClient } from '../../lib/search/client';
import { indexTicket } from '../../lib/search/indexer';
import { dropCollections, ensureCollections } from '../../lib/search/migrate';
import { recentCutoff, textWindowSince } from '../../lib/search/recent-messages';
import { type CollectionNames, collectionNames, messageDocId, ticketDocId } from '../../lib/search/schema';
import { tenantKey } from '../../lib/search/tenant-scope';
import { createTicketSearch } from '../../lib/search/ticket-search';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { stackEnv, uniqueSuffix } from '../../tools/harness/stack-env';

/**
 * Free text against the real Typesense: which tickets a word finds when its matching messages are
 * few, concentrated in a few long tickets, spread over more tickets than one search covers, or
 * too many to group — and that the answer says when it is not every matching ticket. And the
 * recent-months window of free text (issue 17): an old message is not searched by default, is with
 * "all dates" or a date range over it, and the answer says which window applied.
 */

const TENANT = 'textsearch';
const OTHER = 'othertenant';
let client: SearchClient;
let names: CollectionNames;

const ticketIds = new Map<string, string[]>();
function ticketsOf(word: string, count: number, messagesEach: number | ((i: number) => number)) {
  const ids = Array.from({ length: count }, (_, i) => `${word}-t${String(i).padStart(4, '0')}`);
  ticketIds.set(word, ids);
  return ids.map((ticketId, i) => ({
    ticketId,
    word,
    messagesEach: typeof messagesEach === 'number' ? messagesEach : messagesEach(i),
    closedAt: 1_700_000_000 + i,
  }));
}

beforeAll(async () => {
  const env = stackEnv();
  client = createSearchClient(env.TYPESENSE_URL as string, env.TYPESENSE_API_KEY as string);
  names = collectionNames(`t${uniqueSuffix()}_`);
  await ensureCollections(client, names);
  const tickets = [
    ...ticketsOf('licuadora', 2, 1), // few matches: all seen in one search
    // 401 matching messages: two long tickets, and one with a single early message that the 250
    // best-ranked messages (ties go to later positions) would all miss.
    ...ticketsOf('zebra', 3, (i) => (i < 2 ? 200 : 1)),
    ...ticketsOf('girafa', 260, 1), // more matching tickets than one search covers
    ...ticketsOf('pedido', 40, 10), // 400 matches: "too many to group" when the limit is 300
  ];
  const ticketDocs = tickets.map((t) => ({
    id: ticketDocId(TENANT, t.ticketId),
    tenant_id: TENANT,
    tenant_key: tenantKey(TENANT),
    ticket_id: t.ticketId,
    closed_at: t.closedAt,
    message_count: t.messagesEach,
    media_count: 0,
  }));
  const messageDocs = tickets.flatMap((t) =>
    Array.from({ length: t.messagesEach }, (_, p) => ({
      id: messageDocId(TENANT, t.ticketId, `m${p}`),
      tenant_id: TENANT,
      tenant_key: tenantKey(TENANT),
      ticket_id: t.ticketId,
      position: p,
      direction: 'received',
      text: `mensagem ${p} sobre ${t.word} e outras coisas`,
    })),
  );
  // Another tenant with the same words: never part of the answer.
  messageDocs.push({
    id: messageDocId(OTHER, 'other-t', 'm0'),
    tenant_id: OTHER,
    tenant_key: tenantKey(OTHER),
    ticket_id: 'other-t',
    position: 0,
    direction: 'received',
    text: 'zebra girafa licuadora pedido',
  });
  for (const [collection, docs] of [
    [names.tickets, ticketDocs],
    [names.messages, messageDocs],
  ] as const) {
    const results = (await client
      .collections(collection)
      .documents()
      .import(docs as never, { action: 'upsert' })) as unknown as Array<{ success: boolean; error?: string }>;
    expect(results.filter((r) => !r.success)).toEqual([]);
  }
}, 120_000);

afterAll(async () => {
  if (client && names) await dropCollections(client, names);
});

const search = (q: string, limits = {}) =>
  createTicketSearch(client, names, limits).search(TENANT, { q, page: 1, perPage: 100 });

const sorted = (ids: Iterable<string>) => [...ids].sort();

test('a word in few messages finds every ticket, with its snippet, not capped', async () => {
  const result = await search('licuadora');
  expect(sorted(result.hits.map((h) => h.ticketId))).toEqual(ticketIds.get('licuadora'));
  expect(result).toMatchObject({ found: 2, textMatchesCapped: false });
  for (const hit of result.hits)
    expect(hit.highlight).toContainEqual({ text: expect.stringMatching(/licuadora/), match: true });
});

test('matches concentrated in a few long tickets still find every ticket (grouped per ticket)', async () => {
  const result = await search('zebra');
  expect(sorted(result.hits.map((h) => h.ticketId))).toEqual(ticketIds.get('zebra'));
  expect(result).toMatchObject({ found: 3, textMatchesCapped: false });
});

test('more matching tickets than one search covers: the first 250, and the answer says so', async () => {
  const result = await search('girafa');
  expect(result.found).toBe(250);
  expect(result.textMatchesCapped).toBe(true);
  expect(result.hits).toHaveLength(100);
  for (const hit of result.hits) expect(ticketIds.get('girafa')).toContain(hit.ticketId);
});

test('too many matching messages to group: tickets of the best matches, capped, still one tenant', async () => {
  const grouped = await search('pedido');
  expect(grouped).toMatchObject({ found: 40, textMatchesCapped: false });
  const capped = await search('pedido', { groupedSearchMaxMessages: 300 });
  expect(capped.textMatchesCapped).toBe(true);
  expect(capped.found).toBeGreaterThan(0);
  expect(capped.found).toBeLessThanOrEqual(40);
  for (const hit of capped.hits) expect(ticketIds.get('pedido')).toContain(hit.ticketId);
});

test('no match: empty, not capped', async () => {
  await expect(search('inexistentepalavra')).resolves.toMatchObject({
    found: 0,
    hits: [],
    textMatchesCapped: false,
  });
});

test('with the text cache: another tenant with the same words gets its own tickets; a ticket deleted meanwhile is not shown', async () => {
  const cached = createTicketSearch(client, names, { textCacheMs: 600_000 });
  const page = (tenant: string, q: string, n = 1) => cached.search(tenant, { q, page: n, perPage: 1 });
  const first = await page(TENANT, 'licuadora');
  expect(first.found).toBe(2);
  // The next page comes from the cached matches: the other ticket, the same total.
  const second = await page(TENANT, 'licuadora', 2);
  expect(second.found).toBe(2);
  expect(sorted([...first.hits, ...second.hits].map((h) => h.ticketId))).toEqual(ticketIds.get('licuadora'));

  // The other tenant's ticket for the same words: found through its own match, not this tenant's.
  const other = { id: ticketDocId(OTHER, 'other-t'), tenant_id: OTHER, tenant_key: tenantKey(OTHER) };
  await client
    .collections(names.tickets)
    .documents()
    .upsert({ ...other, ticket_id: 'other-t', closed_at: 1_700_000_000, message_count: 1, media_count: 0 });
  const theirs = await page(OTHER, 'licuadora');
  expect(theirs.hits.map((h) => h.ticketId)).toEqual(['other-t']);

  // Erased (its ticket document gone): the cached words still match it, the answer does not show it.
  const erased = ticketIds.get('licuadora')?.[1] as string;
  const doc = await client.collections(names.tickets).documents(ticketDocId(TENANT, erased)).retrieve();
  await client.collections(names.tickets).documents(ticketDocId(TENANT, erased)).delete();
  try {
    const after = await cached.search(TENANT, { q: 'licuadora', page: 1, perPage: 100 });
    expect(after.hits.map((h) => h.ticketId)).toEqual([ticketIds.get('licuadora')?.[0]]);
  } finally {
    await client
      .collections(names.tickets)
      .documents()
      .upsert(doc as never);
    await client.collections(names.tickets).documents(other.id).delete();
  }
});

/** Documents of one ticket with one message, sent (and closed) `daysAgo` days before now. */
function ticketWithMessage(tenant: string, ticketId: string, text: string, daysAgo: number) {
  const at = Math.floor(Date.now() / 1000) - daysAgo * 86_400;
  return {
    ticket: {
      id: ticketDocId(tenant, ticketId),
      tenant_id: tenant,
      tenant_key: tenantKey(tenant),
      ticket_id: ticketId,
      closed_at: at,
      message_count: 1,
      media_count: 0,
    },
    message: {
      id: messageDocId(tenant, ticketId, 'm0'),
      tenant_id: tenant,
      tenant_key: tenantKey(tenant),
      ticket_id: ticketId,
      position: 0,
      direction: 'received',
      text,
      sent_at: at,
    },
  };
}

/** Imports as the indexer writes: the messages within a 6-month window also to the recent collection. */
async function importAll(collections: CollectionNames, docs: Array<ReturnType<typeof ticketWithMessage>>) {
  const cutoff = recentCutoff(new Date(), 6) as number;
  for (const [collection, batch] of [
    [collections.tickets, docs.map((d) => d.ticket)],
    [collections.messages, docs.map((d) => d.message)],
    [collections.messagesRecent, docs.map((d) => d.message).filter((m) => m.sent_at >= cutoff)],
  ] as const) {
    const results = (await client
      .collections(collection)
      .documents()
      .import(batch as never, { action: 'upsert' })) as unknown as Array<{ success: boolean }>;
    expect(results.filter((r) => !r.success)).toEqual([]);
  }
}

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

describe('free text over the recent months by default (issue 17)', () => {
  // Two years old, and ten days old; the other tenant's copy of the words is recent.
  const OLD = 'window-old';
  const RECENT = 'window-recent';
  beforeAll(async () => {
    await importAll(names, [
      ticketWithMessage(TENANT, OLD, 'ornitorrinco na garantia', 730),
      ticketWithMessage(TENANT, RECENT, 'ornitorrinco no boleto', 10),
      ticketWithMessage(OTHER, 'window-other', 'ornitorrinco de outro tenant', 5),
    ]);
  });
  const windowed = (limits = {}) => createTicketSearch(client, names, { textWindowMonths: 6, ...limits });
  const idsOf = (r: { hits: Array<{ ticketId: string }> }) => sorted(r.hits.map((h) => h.ticketId));

  test('by default an old message is not matched, and the answer says since when it searched', async () => {
    const now = new Date();
    const result = await windowed({ now: () => now }).search(TENANT, {
      q: 'ornitorrinco',
      page: 1,
      perPage: 10,
    });
    expect(idsOf(result)).toEqual([RECENT]);
    const since = new Date(textWindowSince(now, 6) * 1000);
    expect(result.textWindow).toEqual({ since: since.toISOString(), months: 6 });
    // Six calendar months back, at the start of that day (UTC).
    expect(since.getUTCHours()).toBe(0);
    expect(now.getTime() - since.getTime()).toBeGreaterThan(180 * 86_400_000);
    expect(now.getTime() - since.getTime()).toBeLessThan(186 * 86_400_000);
  });

  test('"all dates" and a date range over the old message find it, and no window is reported', async () => {
    const all = await windowed().search(TENANT, {
      q: 'ornitorrinco',
      textScope: 'all',
      page: 1,
      perPage: 10,
    });
    expect(idsOf(all)).toEqual([OLD, RECENT]);
    expect(all.textWindow).toBeNull();
    const range = await windowed().search(TENANT, {
      q: 'ornitorrinco',
      from: day(740),
      to: day(720),
      page: 1,
      perPage: 10,
    });
    expect(idsOf(range)).toEqual([OLD]);
    expect(range.textWindow).toBeNull();
    // Only one bound is a date range too: from two years ago to today.
    const from = await windowed().search(TENANT, { q: 'ornitorrinco', from: day(800), page: 1, perPage: 10 });
    expect(idsOf(from)).toEqual([OLD, RECENT]);
  });

  test('no window configured (0): every date, textWindow null', async () => {
    const result = await windowed({ textWindowMonths: 0 }).search(TENANT, {
      q: 'ornitorrinco',
      page: 1,
      perPage: 10,
    });
    expect(idsOf(result)).toEqual([OLD, RECENT]);
    expect(result.textWindow).toBeNull();
  });

  test('searches without free text are never windowed', async () => {
    const byTicket = await windowed().search(TENANT, { ticket: '1', page: 1, perPage: 10 });
    expect(byTicket.textWindow).toBeNull();
    const everything = await windowed().search(TENANT, { page: 1, perPage: 250 });
    expect(everything.textWindow).toBeNull();
    expect(everything.hits.map((h) => h.ticketId)).toContain(OLD);
  });

  test('with the text cache, the recent and the all-dates answers are kept apart, per tenant', async () => {
    const cached = windowed({ textCacheMs: 600_000 });
    const q = { q: 'ornitorrinco', page: 1, perPage: 10 };
    expect(idsOf(await cached.search(TENANT, q))).toEqual([RECENT]);
    expect(idsOf(await cached.search(TENANT, { ...q, textScope: 'all' }))).toEqual([OLD, RECENT]);
    expect(idsOf(await cached.search(TENANT, q))).toEqual([RECENT]);
    // The other tenant's recent message: its own answer only, and never in this tenant's.
    await client
      .collections(names.tickets)
      .documents()
      .upsert(ticketWithMessage(OTHER, 'window-other', 'x', 5).ticket);
    expect(idsOf(await cached.search(OTHER, q))).toEqual(['window-other']);
    expect(idsOf(await cached.search(TENANT, { ...q, textScope: 'all' }))).toEqual([OLD, RECENT]);
  });
});

describe('the window through the API (SEARCH_TEXT_DEFAULT_MONTHS, textScope, textWindow)', () => {
  const LATAM = 'atendimentolatam';
  const CLINIC = 'clinicavidasana';
  let api: ArchiveEnv;
  const cookies: Record<string, string> = {};
  beforeAll(async () => {
    api = await startArchiveEnv({ worker: false, env: { SEARCH_TEXT_DEFAULT_MONTHS: '6' } });
    for (const tenant of [LATAM, CLINIC]) {
      // The tenant exists as an installation admits it: through the webhook (no worker needed).
      await api.webhook(randomUUID(), botAuthorization(tenant));
      const login = await api.app.inject({
        method: 'POST',
        url: '/v1/session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ auth: botAuthorization(tenant) }),
      });
      cookies[tenant] = String(login.headers['set-cookie']).split(';')[0] as string;
    }
    await importAll(api.collections, [
      ticketWithMessage(LATAM, 'api-old', 'capivara no reembolso', 400),
      ticketWithMessage(LATAM, 'api-recent', 'capivara na entrega', 3),
      ticketWithMessage(CLINIC, 'api-clinic-old', 'capivara na consulta', 400),
    ]);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });
  const get = async (url: string, tenant = LATAM) => {
    const res = await api.app.inject({ method: 'GET', url, headers: { cookie: cookies[tenant] as string } });
    return {
      statusCode: res.statusCode,
      body: res.json() as {
        hits: Array<{ ticketId: string }>;
        textWindow: { since: string; months: number } | null;
        message?: string;
        params?: { field?: string };
      },
    };
  };
  const ids = (b: { hits: Array<{ ticketId: string }> }) => sorted(b.hits.map((h) => h.ticketId));

  test('recent by default, every date with textScope=all or from/to, and the answer says which', async () => {
    const recent = await get('/v1/tickets?q=capivara');
    expect(recent.statusCode).toBe(200);
    expect(ids(recent.body)).toEqual(['api-recent']);
    expect(recent.body.textWindow).toMatchObject({ months: 6 });
    expect(Date.parse(recent.body.textWindow?.since ?? '')).toBeLessThan(Date.now() - 180 * 86_400_000);

    const all = await get('/v1/tickets?q=capivara&textScope=all');
    expect(ids(all.body)).toEqual(['api-old', 'api-recent']);
    expect(all.body.textWindow).toBeNull();
    const range = await get(`/v1/tickets?q=capivara&from=${day(410)}&to=${day(390)}`);
    expect(ids(range.body)).toEqual(['api-old']);
    expect(range.body.textWindow).toBeNull();
    const explicitRecent = await get('/v1/tickets?q=capivara&textScope=recent');
    expect(ids(explicitRecent.body)).toEqual(['api-recent']);
  });

  test("another tenant's words stay its own, in the window and out of it", async () => {
    expect(ids((await get('/v1/tickets?q=capivara', CLINIC)).body)).toEqual([]);
    expect(ids((await get('/v1/tickets?q=capivara&textScope=all', CLINIC)).body)).toEqual(['api-clinic-old']);
  });

  test("a message Blip gave no date is indexed at its ticket's close, so the window does not hide it", async () => {
    const ticketId = randomUUID();
    const closed = new Date(Date.now() - 2 * 86_400_000);
    await api.db.query(
      `insert into tickets (tenant_id, ticket_id, sequential_id, customer_identity, contact_identity, channel,
          open_date, close_date, message_count, media_count, digest, raw, archived_at, indexed_at, status, closed)
        values ($1, $2, 77001, 'c@wa.gw.msging.net', 'c@wa.gw.msging.net', 'WhatsApp', $3, $3, 1, 0,
          repeat('0', 64), '{}'::jsonb, now(), now(), 'ClosedAttendant', true)`,
      [LATAM, ticketId, closed],
    );
    await api.db.query(
      `insert into messages (tenant_id, ticket_id, message_id, position, direction, sent_at, type, text, raw,
          raw_sha256, in_ticket_window)
        values ($1, $2, 'm0', 0, 'customer', null, 'text/plain', 'tamanduá sem data', '\\x00'::bytea,
          repeat('0', 64), true)`,
      [LATAM, ticketId],
    );
    await indexTicket(api.db, api.search, api.collections, LATAM, ticketId, undefined, {
      textWindowMonths: 6,
    });
    const found = await get('/v1/tickets?q=tamandu%C3%A1');
    expect(found.body.textWindow).not.toBeNull();
    expect(ids(found.body)).toEqual([ticketId]);
  });

  test('a search without words is not windowed; a bad textScope is a 400 naming it', async () => {
    const all = await get('/v1/tickets?perPage=100');
    expect(all.body.textWindow).toBeNull();
    expect(ids(all.body)).toEqual(expect.arrayContaining(['api-old', 'api-recent']));
    const bad = await get('/v1/tickets?q=capivara&textScope=older');
    expect(bad.statusCode).toBe(400);
    expect(bad.body.params?.field).toBe('textScope');
    expect(bad.body.message).toMatch(/textScope/);
  });
});
