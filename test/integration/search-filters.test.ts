import { createSearchClient } from '../../lib/search/client';
import { writeTarget } from '../../lib/search/migrate';
import { SearchQueryError } from '../../lib/search/query';
import {
  type CollectionNames,
  collectionNames,
  MESSAGE_FIELDS,
  messageDocId,
  TICKET_FIELDS,
  ticketDocId,
} from '../../lib/search/schema';
import { tenantKey } from '../../lib/search/tenant-scope';
import { createTicketSearch } from '../../lib/search/ticket-search';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';
import { stackEnv, uniqueSuffix } from '../../tools/harness/stack-env';

/**
 * Issue 15, search the way agents talk: filters by tag and by status with counts, sorting by close
 * date or by relevance, and the related tickets of a ticket ("Ticket aberto #1044", transfers),
 * each checked against another tenant trying to see, count or link what is not its own.
 */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';
const CLINIC = 'clinicavidasana';
const index = fixtureIndex();
let latam: string;
let clinic: string;

const T1039 = '1d91807c-ee64-51bd-9310-963620a44bca'; // Transferred, to 1044
const T1044 = '805c6e79-257e-5075-933c-0cdd20578e04'; // parentSequentialId 1039
const T1042 = 'b598352e-77f5-546c-a017-5ec108ed50ba';
const T1043 = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
const T1045 = '5a11ee25-ca1b-5ce2-a798-5f5affcff0a4';
const T87 = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146'; // the clinic's, ClosedAttendant, tag Reagendamiento

type Count = { value: string; count: number };
type Body = {
  found: number;
  hits: Array<{ ticketId: string; tags: string[]; status: string | null; closedAt: string }>;
  facets: Record<'channel' | 'agent' | 'team' | 'tag' | 'status', Count[]>;
  reason?: string;
  params?: Record<string, unknown>;
};

async function login(auth: string): Promise<string> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth }),
  });
  const header = res.headers['set-cookie'];
  return String(Array.isArray(header) ? header[0] : header).split(';')[0] as string;
}

async function get<T = Body>(url: string, cookie = latam): Promise<{ statusCode: number; body: T }> {
  const res = await env.app.inject({ method: 'GET', url, headers: { cookie } });
  return { statusCode: res.statusCode, body: res.json() as T };
}

const ids = (b: Body) => b.hits.map((h) => h.ticketId);
const countOf = (counts: Count[], value: string) => counts.find((c) => c.value === value)?.count;

beforeAll(async () => {
  env = await startArchiveEnv();
  const answers = await Promise.all(
    index.tickets.map((t) => env.webhook(t.id, botAuthorization(t.bot.split('@')[0] as string))),
  );
  for (const a of answers) await env.result(a.body.workflowId as string);
  latam = await login(botAuthorization(LATAM));
  clinic = await login(botAuthorization(CLINIC));
});
afterAll(async () => {
  await env?.close();
});

describe('filters by tag and by status, with counts', () => {
  test("every tag and status of the tenant's tickets is counted, and a picked one narrows", async () => {
    const all = (await get('/v1/tickets?perPage=100')).body;
    expect(all.found).toBe(5);
    expect(countOf(all.facets.tag, 'Resolvido')).toBe(1);
    expect(countOf(all.facets.tag, 'Visita técnica')).toBe(1);
    // Tags are free text: one that looks like markup is a value like any other.
    expect(countOf(all.facets.tag, `<b>tag</b>"'`)).toBe(1);
    expect(all.facets.status.reduce((n, c) => n + c.count, 0)).toBe(all.found);
    expect(countOf(all.facets.status, 'ClosedAttendant')).toBe(2);
    expect(countOf(all.facets.status, 'Transferred')).toBe(1);
    expect(all.hits.find((h) => h.ticketId === T1044)).toMatchObject({
      status: 'ClosedClient',
      tags: ['Instabilidade', 'Visita técnica', 'Desconto concedido'],
    });

    const resolved = (await get('/v1/tickets?tag=Resolvido')).body;
    expect(ids(resolved)).toEqual([T1042]);
    const markup = (await get(`/v1/tickets?tag=${encodeURIComponent(`<b>tag</b>"'`)}`)).body;
    expect(ids(markup)).toEqual([T1045]);
    const byAgent = (await get('/v1/tickets?status=ClosedAttendant')).body;
    expect(ids(byAgent).sort()).toEqual([T1042, T1043].sort());
    // Within a status, the tag counts are of those tickets only.
    expect(byAgent.facets.tag.map((c) => c.value).sort()).toEqual(
      ['Devolución', 'Entrega atrasada', 'Producto dañado', 'Resolvido'].sort(),
    );
    expect(ids((await get('/v1/tickets?status=ClosedAttendant&tag=Devoluci%C3%B3n')).body)).toEqual([T1043]);
    expect((await get('/v1/tickets?status=ClosedAttendant&tag=Resolvid')).body.found).toBe(0);
  });

  test("counts never include another tenant's tickets, and its tags and statuses find nothing", async () => {
    // The clinic has a ClosedAttendant ticket tagged Reagendamiento: none of it reaches LATAM.
    const all = (await get('/v1/tickets?perPage=100')).body;
    expect(countOf(all.facets.tag, 'Reagendamiento')).toBeUndefined();
    expect(countOf(all.facets.status, 'ClosedAttendant')).toBe(2);
    const foreignTag = (await get('/v1/tickets?tag=Reagendamiento')).body;
    expect(foreignTag.found).toBe(0);
    expect(foreignTag.facets.tag).toEqual([]);
    expect(foreignTag.facets.status).toEqual([]);
    // And the other way round: the clinic counts its one ticket, whatever it filters on.
    const theirs = (await get('/v1/tickets?status=ClosedAttendant', clinic)).body;
    expect(ids(theirs)).toEqual([T87]);
    expect(theirs.facets.status).toEqual([{ value: 'ClosedAttendant', count: 1 }]);
    expect(theirs.facets.tag).toEqual([{ value: 'Reagendamiento', count: 1 }]);
    for (const qs of ['tag=Resolvido', 'status=Transferred', 'status=ClosedClient&tag=Instabilidade']) {
      const res = (await get(`/v1/tickets?${qs}`, clinic)).body;
      expect(res.found).toBe(0);
      expect(res.hits).toEqual([]);
      for (const counts of Object.values(res.facets)) expect(counts).toEqual([]);
    }
  });

  test('a filter cannot smuggle Typesense syntax, and bad values are named', async () => {
    const injected = await get(`/v1/tickets?tag=${encodeURIComponent('x` || tenant_key:!=`y')}`, clinic);
    expect(injected.statusCode).toBe(400);
    expect(injected.body).toMatchObject({ reason: 'facet_invalid', params: { field: 'tag' } });
    const status = await get(`/v1/tickets?status=${encodeURIComponent('ClosedClient || tenant_id:*')}`);
    expect(status.statusCode).toBe(400);
    expect(status.body.params).toMatchObject({ field: 'status' });
    const sort = await get('/v1/tickets?sort=closed_at:asc');
    expect(sort.statusCode).toBe(400);
    expect(sort.body.params).toMatchObject({ field: 'sort' });
  });
});

describe('sort', () => {
  test('by close date, newest first, unless asked otherwise', async () => {
    for (const qs of ['', '?sort=closed', '?sort=relevance']) {
      const body = (await get(`/v1/tickets${qs}`)).body;
      const closed = body.hits.map((h) => h.closedAt);
      expect(closed).toEqual([...closed].sort().reverse());
    }
  });

  test('by relevance: the ticket whose message matches the words best comes first, then page by page', async () => {
    // Two messages with both words: adjacent in the oldest ticket, far apart in the newest.
    const target = await writeTarget(env.search, env.collections.messages);
    const doc = (ticketId: string, text: string) => ({
      id: messageDocId(LATAM, ticketId, `relevance-${ticketId}`),
      tenant_id: LATAM,
      tenant_key: tenantKey(LATAM),
      ticket_id: ticketId,
      message_id: `relevance-${ticketId}`,
      position: 9000,
      direction: 'customer',
      text,
    });
    await env.search
      .collections(target)
      .documents()
      .import(
        [
          doc(T1042, 'o zebrafone azul chegou quebrado'),
          doc(T1045, 'zebrafone: pedido feito ontem, cor escolhida no site foi a azul'),
        ],
        { action: 'upsert' },
      );
    const byDate = (await get('/v1/tickets?q=zebrafone%20azul')).body;
    expect(ids(byDate)).toEqual([T1045, T1042]);
    const byMatch = (await get('/v1/tickets?q=zebrafone%20azul&sort=relevance')).body;
    expect(ids(byMatch)).toEqual([T1042, T1045]);
    expect(byMatch.found).toBe(2);
    const second = (await get('/v1/tickets?q=zebrafone%20azul&sort=relevance&perPage=1&page=2')).body;
    expect(ids(second)).toEqual([T1045]);
    expect(second.found).toBe(2);
  });

  test('by relevance with a name: the closest name first', async () => {
    // A newer ticket whose name holds the same words, out of order (search-only, removed after).
    const target = await writeTarget(env.search, env.collections.tickets);
    const fake = '00000000-0000-4000-8000-00000000a11a';
    await env.search
      .collections(target)
      .documents()
      .import(
        [
          {
            id: ticketDocId(LATAM, fake),
            tenant_id: LATAM,
            tenant_key: tenantKey(LATAM),
            ticket_id: fake,
            contact_name: 'Souza, Beatriz (mãe de Ana)',
            closed_at: 1_900_000_000,
            message_count: 0,
            media_count: 0,
          },
        ],
        { action: 'upsert' },
      );
    try {
      expect(ids((await get('/v1/tickets?name=Ana%20Beatriz%20Souza')).body)).toEqual([fake, T1042]);
      expect(ids((await get('/v1/tickets?name=Ana%20Beatriz%20Souza&sort=relevance')).body)).toEqual([
        T1042,
        fake,
      ]);
    } finally {
      await env.search.collections(target).documents(ticketDocId(LATAM, fake)).delete();
    }
  });
});

describe('related tickets', () => {
  type Page = { related: Array<{ ticketId: string; sequentialId: number; relation: string }> };

  test('a transfer links both ways, and the ticket events of the thread name the others', async () => {
    const from = (await get<Page>(`/v1/tickets/${T1039}`)).body.related;
    expect(from).toContainEqual(
      expect.objectContaining({ ticketId: T1044, sequentialId: 1044, relation: 'child' }),
    );
    const to = (await get<Page>(`/v1/tickets/${T1044}`)).body.related;
    expect(to).toContainEqual(
      expect.objectContaining({ ticketId: T1039, sequentialId: 1039, relation: 'parent' }),
    );
    expect(to.map((r) => r.ticketId)).not.toContain(T1044);
    // Later pages do not repeat them.
    expect((await get<Page>(`/v1/tickets/${T1039}?after=5`)).body.related).toEqual([]);
  });

  test("another tenant's ticket named in a ticket event or as the parent never becomes a link", async () => {
    // An attacker-shaped ticket: its ticket event and its parent name the clinic's ticket #87.
    await env.db.query(
      `update messages set content = jsonb_set(content, '{id}', to_jsonb($3::text))
        where tenant_id = $1 and ticket_id = $2 and type = 'application/vnd.iris.ticket+json'`,
      [LATAM, T1042, T87],
    );
    await env.db.query(
      'update tickets set parent_sequential_id = 87 where tenant_id = $1 and ticket_id = $2',
      [LATAM, T1042],
    );
    const page = await get<Page>(`/v1/tickets/${T1042}`);
    expect(page.statusCode).toBe(200);
    expect(page.body.related).toEqual([]);
    expect(JSON.stringify(page.body.related)).not.toContain(T87);
  });

  test('a ticket of the same tenant that is not archived (or no longer) is not linked', async () => {
    await env.db.query('update tickets set archived_at = null where tenant_id = $1 and ticket_id = $2', [
      LATAM,
      T1044,
    ]);
    try {
      const related = (await get<Page>(`/v1/tickets/${T1039}`)).body.related;
      expect(related.map((r) => r.ticketId)).not.toContain(T1044);
    } finally {
      await env.db.query('update tickets set archived_at = now() where tenant_id = $1 and ticket_id = $2', [
        LATAM,
        T1044,
      ]);
    }
  });
});

describe('collections built before tags and status', () => {
  let names: CollectionNames;
  const client = createSearchClient(
    stackEnv().TYPESENSE_URL as string,
    stackEnv().TYPESENSE_API_KEY as string,
  );

  beforeAll(async () => {
    names = collectionNames(`t${uniqueSuffix()}_pretags_`);
    await client.collections().create({
      name: names.tickets,
      fields: TICKET_FIELDS.filter((f) => f.name !== 'tags' && f.name !== 'status'),
      default_sorting_field: 'closed_at',
    } as never);
    await client.collections().create({
      name: names.messages,
      fields: MESSAGE_FIELDS,
      default_sorting_field: 'position',
    } as never);
    await client
      .collections(names.tickets)
      .documents()
      .import(
        [
          {
            id: ticketDocId(LATAM, T1042),
            tenant_id: LATAM,
            tenant_key: tenantKey(LATAM),
            ticket_id: T1042,
            channel: 'WhatsApp',
            closed_at: 1_741_626_491,
            message_count: 3,
            media_count: 0,
          },
        ],
        { action: 'upsert' },
      );
  });
  afterAll(async () => {
    for (const name of Object.values(names))
      await client
        .collections(name)
        .delete()
        .catch(() => undefined);
  });

  test('searches and the other counts still work; filtering on tag or status asks for the reindex', async () => {
    const search = createTicketSearch(client, names);
    const res = await search.search(LATAM, { page: 1, perPage: 20 });
    expect(res.hits.map((h) => h.ticketId)).toEqual([T1042]);
    expect(res.hits[0]).toMatchObject({ tags: [], status: null });
    expect(res.facets.channel).toEqual([{ value: 'WhatsApp', count: 1 }]);
    expect(res.facets.tag).toEqual([]);
    expect(res.facets.status).toEqual([]);
    for (const filter of [{ tag: 'Resolvido' }, { status: 'ClosedAttendant' }]) {
      const err = await search.search(LATAM, { ...filter, page: 1, perPage: 20 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SearchQueryError);
      expect((err as SearchQueryError).reason).toBe('search_reindex_needed');
    }
  });
});
