import { deleteTicketFromSearch } from '../../lib/retention/purge';
import { createSearchClient, type SearchClient } from '../../lib/search/client';
import { dropCollections, ensureCollections } from '../../lib/search/migrate';
import { type CollectionNames, collectionNames, TICKET_FIELDS, ticketDocId } from '../../lib/search/schema';
import { tenantFilter, tenantKey } from '../../lib/search/tenant-scope';
import { stackEnv, uniqueSuffix } from '../../tools/harness/stack-env';

/**
 * The tenant filter at the Typesense level (the stack's 0.24.1): a filter on `tenant_id` matches
 * tokens with punctuation dropped, so it cannot tell `acme-bot` from `acmebot`, `acme.bot` and
 * `acme_bot`; the filter on `tenant_key` (hex sha-256) can. Deleting a ticket from search touches
 * only its tenant's documents, on the new collections and on ones from before `tenant_key`.
 */

const LOOK_ALIKES = ['acme-bot', 'acmebot', 'acme.bot', 'acme_bot'];
const TICKET = '11111111-2222-4333-8444-555555555555';
let client: SearchClient;
let names: CollectionNames;
let legacy: CollectionNames;

/** Legacy documents get one ticket id per tenant: Blip never gives two bots the same ticket. */
const legacyTicket = (i: number) => `11111111-2222-4333-8444-00000000000${i}`;

const ticketDoc = (tenantId: string, withKey: boolean, ticketId: string) => ({
  id: ticketDocId(tenantId, ticketId),
  tenant_id: tenantId,
  ...(withKey ? { tenant_key: tenantKey(tenantId) } : {}),
  ticket_id: ticketId,
  contact_name: 'Maria',
  closed_at: 1_750_000_000,
  message_count: 0,
  media_count: 0,
});

async function tenantsFound(collection: string, filter: string): Promise<string[]> {
  const res = (await client
    .collections(collection)
    .documents()
    .search({ q: '*', query_by: 'contact_name', filter_by: filter, per_page: 50 })) as {
    hits?: Array<{ document: { tenant_id: string } }>;
  };
  return (res.hits ?? []).map((h) => h.document.tenant_id).sort();
}

beforeAll(async () => {
  const env = stackEnv();
  client = createSearchClient(env.TYPESENSE_URL as string, env.TYPESENSE_API_KEY as string);
  names = collectionNames(`t${uniqueSuffix()}_`);
  await ensureCollections(client, names);
  // Plain collections shaped as before tenant_key existed.
  legacy = collectionNames(`t${uniqueSuffix()}_legacy_`);
  await client.collections().create({
    name: legacy.tickets,
    fields: TICKET_FIELDS.filter((f) => f.name !== 'tenant_key'),
    default_sorting_field: 'closed_at',
  } as never);
  await client.collections().create({
    name: legacy.messages,
    fields: [
      { name: 'tenant_id', type: 'string' },
      { name: 'ticket_id', type: 'string' },
      { name: 'text', type: 'string' },
    ],
  } as never);
});

beforeEach(async () => {
  for (const [collection, withKey] of [
    [names.tickets, true],
    [legacy.tickets, false],
  ] as const) {
    const out = (await client
      .collections(collection)
      .documents()
      .import(
        LOOK_ALIKES.map((t, i) => ticketDoc(t, withKey, withKey ? TICKET : legacyTicket(i))),
        { action: 'upsert' },
      )) as Array<{ success: boolean }>;
    expect(out.every((r) => r.success)).toBe(true);
  }
});

afterAll(async () => {
  await dropCollections(client, names);
  await dropCollections(client, legacy);
});

test('tenant_id:= cannot tell look-alike bot ids apart (why tenant_key exists)', async () => {
  for (const filter of ['tenant_id:=acme-bot', 'tenant_id:=`acme-bot`', 'tenant_id:=[`acme-bot`]']) {
    expect(await tenantsFound(names.tickets, filter)).toEqual([...LOOK_ALIKES].sort());
  }
});

test.each(LOOK_ALIKES)('the tenant_key filter of %s finds its document only', async (tenant) => {
  expect(await tenantsFound(names.tickets, tenantFilter(tenant))).toEqual([tenant]);
});

test('deleting a ticket from search removes that tenant’s documents only', async () => {
  await deleteTicketFromSearch(client, names, 'acme.bot', TICKET);
  expect(await tenantsFound(names.tickets, `ticket_id:=\`${TICKET}\``)).toEqual([
    'acme-bot',
    'acme_bot',
    'acmebot',
  ]);
});

test('on collections from before tenant_key, the deletion still happens (no tenant_key is not "absent")', async () => {
  const i = LOOK_ALIKES.indexOf('acme.bot');
  await deleteTicketFromSearch(client, legacy, 'acme.bot', legacyTicket(i));
  expect(await tenantsFound(legacy.tickets, 'tenant_id:=acmebot')).toEqual([
    'acme-bot',
    'acme_bot',
    'acmebot',
  ]);
});
