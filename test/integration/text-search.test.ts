import { createSearchClient, type SearchClient } from '../../lib/search/client';
import { dropCollections, ensureCollections } from '../../lib/search/migrate';
import { type CollectionNames, collectionNames, messageDocId, ticketDocId } from '../../lib/search/schema';
import { tenantKey } from '../../lib/search/tenant-scope';
import { createTicketSearch } from '../../lib/search/ticket-search';
import { stackEnv, uniqueSuffix } from '../../tools/harness/stack-env';

/**
 * Free text against the real Typesense: which tickets a word finds when its matching messages are
 * few, concentrated in a few long tickets, spread over more tickets than one search covers, or
 * too many to group — and that the answer says when it is not every matching ticket.
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
