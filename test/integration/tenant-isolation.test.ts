import { randomUUID } from 'node:crypto';
import { identityFingerprint } from '../../lib/retention/erasure-hash';
import { outdatedCollections } from '../../lib/search/migrate';
import { MESSAGE_FIELDS, TICKET_FIELDS } from '../../lib/search/schema';
import { WORKFLOW } from '../../lib/temporal/contract';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { uniqueSuffix } from '../../tools/harness/stack-env';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';
import { exportToEnd, type SessionApi } from '../support/session-api';

/**
 * Tenant isolation as an attacker tries it: four bots whose identifiers differ only by
 * punctuation (Typesense drops it, so a `tenant_id` filter matches all four), with the same
 * contact, phone, words, sequential number, dates and media bytes. Whatever one of them asks —
 * every search parameter, a ticket, a contact, media links, exports, verify — it sees its own
 * archive only, and another tenant's id is a 404. `loja.exemplo` reads with `Authorization: Key`
 * (a session cookie cannot carry a dotted id yet: lib/auth/session.ts is being rewritten).
 */

const TENANTS = ['loja-exemplo', 'lojaexemplo', 'loja.exemplo', 'loja_exemplo'] as const;
type Tenant = (typeof TENANTS)[number];
const SHARED_CUSTOMER = '5511987650000@wa.gw.msging.net';
const SHARED_SEQUENTIAL = 501;
const start = Date.parse('2025-06-10T12:00:00.000Z');
/** A word only this tenant's messages contain (not the tenant id itself, which Typesense folds into one token). */
const secretWord = (t: Tenant) => `segredo${['alfa', 'bravo', 'charlie', 'delta'][TENANTS.indexOf(t)]}`;

let env: ArchiveEnv;
const auth = {} as Record<Tenant, string>;
/** Per tenant: the ticket with the shared contact, and one with its own contact. */
const shared = {} as Record<Tenant, string>;
const own = {} as Record<Tenant, string>;
const ticketsOf = (t: Tenant) => [shared[t], own[t]].sort();
const othersOf = (t: Tenant) => TENANTS.filter((o) => o !== t);

function apiAs(t: Tenant): SessionApi {
  return async (method, url, payload) => {
    const res = await env.app.inject({
      method,
      url,
      headers: {
        authorization: auth[t],
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
    return { statusCode: res.statusCode, body: res.json() };
  };
}

async function search(t: Tenant, qs: string) {
  const res = await apiAs(t)('GET', `/v1/tickets?${qs}`);
  expect(res.statusCode).toBe(200);
  return res.body as {
    found: number;
    hits: Array<{ ticketId: string; highlight: Array<{ text: string }> | null; contact: { name: string } }>;
  };
}

const ids = (body: { hits: Array<{ ticketId: string }> }) => body.hits.map((h) => h.ticketId).sort();

function addBot(identifier: string): string {
  env.sim.store.bots.push({
    identifier,
    identity: `${identifier}@msging.net`,
    secret: `secret-of-${identifier}-${randomUUID()}`,
  });
  return env.sim.authorizationOf(identifier);
}

async function archive(ticketId: string, authorization: string) {
  const res = await env.webhook(ticketId, authorization);
  expect(res.statusCode).toBe(202);
  await env.result(res.body.workflowId as string);
}

beforeAll(async () => {
  env = await startArchiveEnv();
  // The same bytes in every tenant's shared ticket: content addressing must not merge them.
  const image = env.sim.addMedia({ contentType: 'image/png', generate: { size: 4096, seed: 13 } });
  for (const [i, t] of TENANTS.entries()) {
    auth[t] = addBot(t);
    shared[t] = addClosedTicket(env.sim, {
      bot: t,
      start,
      customer: SHARED_CUSTOMER,
      sequentialId: SHARED_SEQUENTIAL,
      contactName: 'Maria Aparecida Souza',
      messages: (id) => [
        ...textMessages(`s-${id}`, 2, start, (m) =>
          m === 0 ? `meu pedido 4242 chegou quebrado ${secretWord(t)}` : 'vamos trocar o pedido 4242',
        ),
        mediaLinkMessage(`s-${id}-img`, start + 5000, {
          type: 'image/png',
          uri: image.uri,
          size: image.size,
        }),
      ],
    });
    own[t] = addClosedTicket(env.sim, {
      bot: t,
      start: start + (i + 1) * 86_400_000,
      sequentialId: 600 + i,
      contactName: `Cliente Numero ${i}`,
      messages: (id) => textMessages(`o-${id}`, 2, start, () => `pedido 4242 ${secretWord(t)}`),
    });
  }
  for (const t of TENANTS) {
    await archive(shared[t], auth[t]);
    await archive(own[t], auth[t]);
  }
}, 300_000);

afterAll(async () => {
  await env?.close();
});

describe('search never crosses look-alike tenants', () => {
  test.each(TENANTS)('%s: every parameter finds its own tickets only', async (t) => {
    expect(ids(await search(t, ''))).toEqual(ticketsOf(t));
    expect((await search(t, '')).found).toBe(2);
    expect(ids(await search(t, 'name=maria'))).toEqual([shared[t]]);
    expect(ids(await search(t, 'name=Cliente'))).toEqual([own[t]]);
    expect(ids(await search(t, `phone=${encodeURIComponent('(11) 98765-0000')}`))).toEqual([shared[t]]);
    expect(ids(await search(t, `ticket=${SHARED_SEQUENTIAL}`))).toEqual([shared[t]]);
    expect(ids(await search(t, `ticket=${shared[t]}`))).toEqual([shared[t]]);
    expect(ids(await search(t, 'from=2025-06-10&to=2025-06-10'))).toEqual([shared[t]]);
    expect(ids(await search(t, 'from=2025-06-01&to=2025-07-01'))).toEqual(ticketsOf(t));
    expect(ids(await search(t, 'q=quebrado'))).toEqual([shared[t]]);
    expect(ids(await search(t, 'q=pedido'))).toEqual(ticketsOf(t));
    expect(ids(await search(t, `q=${secretWord(t)}`))).toEqual(ticketsOf(t));
    expect(ids(await search(t, `name=maria&q=pedido&phone=98765-0000&ticket=${SHARED_SEQUENTIAL}`))).toEqual([
      shared[t],
    ]);
  });

  test.each(TENANTS)("%s: another tenant's ids, numbers and words find nothing", async (t) => {
    for (const other of othersOf(t)) {
      for (const qs of [
        `ticket=${shared[other]}`,
        `ticket=${own[other]}`,
        `ticket=${600 + TENANTS.indexOf(other)}`,
        `q=${secretWord(other)}`,
        `name=${encodeURIComponent(`Cliente Numero ${TENANTS.indexOf(other)}`)}&ticket=${600 + TENANTS.indexOf(other)}`,
      ]) {
        const body = await search(t, qs);
        expect({ qs, hits: ids(body), found: body.found }).toEqual({ qs, hits: [], found: 0 });
      }
    }
    // No snippet of a free-text search shows another tenant's words.
    const text = JSON.stringify((await search(t, 'q=pedido')).hits.map((h) => h.highlight));
    for (const other of othersOf(t)) expect(text).not.toContain(secretWord(other));
  });
});

describe('reads, contacts, media, exports and verify stay in the tenant', () => {
  test.each(TENANTS)("%s: another tenant's ticket is a 404 on every route", async (t) => {
    const api = apiAs(t);
    for (const other of othersOf(t)) {
      for (const id of [shared[other], own[other]]) {
        for (const [method, url] of [
          ['GET', `/v1/tickets/${id}`],
          ['GET', `/v1/tickets/${id}/verify`],
          ['POST', `/v1/tickets/${id}/exports`],
        ] as const) {
          const res = await api(method, url);
          expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
          expect(JSON.stringify(res.body)).not.toContain(secretWord(other));
        }
      }
    }
  });

  test.each(TENANTS)('%s: its own ticket, contact history, media links and verify', async (t) => {
    const api = apiAs(t);
    const ticket = await api('GET', `/v1/tickets/${shared[t]}`);
    expect(ticket.statusCode).toBe(200);
    const body = JSON.stringify(ticket.body);
    expect(body).toContain(secretWord(t));
    for (const other of othersOf(t)) expect(body).not.toContain(secretWord(other));
    const urls = ticket.body.messages.flatMap((m: { media: Array<{ url: string | null }> }) =>
      m.media.map((x) => x.url),
    );
    expect(urls).toHaveLength(1);
    // Same bytes in all four tenants: each link is to its own tenant's copy.
    expect(new URL(urls[0]).pathname).toContain(`/${t}/media/`);
    for (const other of othersOf(t)) expect(decodeURIComponent(urls[0])).not.toContain(`/${other}/media/`);

    const contact = await api('GET', `/v1/contacts/${encodeURIComponent(SHARED_CUSTOMER)}/tickets`);
    expect(contact.statusCode).toBe(200);
    expect(contact.body.tickets.map((x: { ticketId: string }) => x.ticketId)).toEqual([shared[t]]);

    const verify = await api('GET', `/v1/tickets/${shared[t]}/verify`);
    expect(verify.statusCode).toBe(200);
  });

  test("an export is polled by its own tenant only; a look-alike's poll is a 404", async () => {
    const owner: Tenant = 'loja.exemplo';
    const { exportId, state } = await exportToEnd(apiAs(owner), `/v1/tickets/${shared[owner]}/exports`);
    expect(state.status).toBe('done');
    expect(new URL(state.url).pathname).toContain(`/${owner}/`);
    for (const other of othersOf(owner)) {
      const poll = await apiAs(other)('GET', `/v1/exports/${exportId}`);
      expect(poll.statusCode).toBe(404);
      expect(JSON.stringify(poll.body)).not.toContain('http');
    }
    // A contact export of the shared customer covers only the exporter's own ticket.
    const contactExport = await exportToEnd(
      apiAs('lojaexemplo'),
      `/v1/contacts/${encodeURIComponent(SHARED_CUSTOMER)}/exports`,
      {},
    );
    expect(contactExport.state.status).toBe('done');
    const { rows } = await env.db.query<{ tenant_id: string; target: string }>(
      'select tenant_id, target from exports where export_id = $1',
      [contactExport.exportId],
    );
    // The contact is named by the exporter's keyed fingerprint (migration 015), never in clear.
    expect(rows).toEqual([
      { tenant_id: 'lojaexemplo', target: identityFingerprint(env.box, 'lojaexemplo', SHARED_CUSTOMER) },
    ]);
  }, 300_000);
});

describe('bot identifiers as Blip allows them', () => {
  test('a key whose identifier has capitals is the lower-case tenant, for archiving, login and search', async () => {
    const authorization = addBot('LojaMaiuscula');
    const ticketId = addClosedTicket(env.sim, {
      bot: 'LojaMaiuscula',
      start,
      customer: SHARED_CUSTOMER,
      sequentialId: SHARED_SEQUENTIAL,
      contactName: 'Maria Aparecida Souza',
      messages: (id) => textMessages(`u-${id}`, 2, start, () => 'pedido 4242'),
    });
    await archive(ticketId, authorization);
    const { rows } = await env.db.query('select tenant_id from tickets where ticket_id = $1', [ticketId]);
    expect(rows).toEqual([{ tenant_id: 'lojamaiuscula' }]);

    const login = await env.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ auth: authorization }),
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().tenantId).toBe('lojamaiuscula');
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const res = await env.app.inject({ method: 'GET', url: '/v1/tickets?q=pedido', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.json().hits.map((h: { ticketId: string }) => h.ticketId)).toEqual([ticketId]);
  });
});

describe('upgrading from collections without tenant_key', () => {
  async function metric(): Promise<number> {
    const text = (await env.app.inject({ method: 'GET', url: '/metrics' })).body;
    return [...text.matchAll(/^ticketvault_search_foreign_hits_dropped_total\{[^}]*\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  }

  test('searches stay tenant-exact on the old collections, and a reindex builds the new ones', async () => {
    // Put each alias on a collection shaped as before this change (no tenant_key), with the same
    // documents minus that field: what an installation has before its first reindex.
    for (const [kind, fields, sortBy] of [
      ['tickets', TICKET_FIELDS, 'closed_at'],
      ['messages', MESSAGE_FIELDS, 'position'],
    ] as const) {
      const alias = env.collections[kind];
      const old = `${alias}_v7`;
      await env.search.collections().create({
        name: old,
        fields: fields.filter((f) => f.name !== 'tenant_key'),
        default_sorting_field: sortBy,
      } as never);
      const jsonl = (await env.search.collections(alias).documents().export()) as unknown as string;
      const docs = jsonl
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const { tenant_key: _dropped, ...doc } = JSON.parse(l);
          return doc;
        });
      await env.search.collections(old).documents().import(docs, { action: 'upsert' });
      await env.search.aliases().upsert(alias, { collection_name: old });
    }
    // What `reindex --if-empty` (npm start) looks at to rebuild them after an upgrade.
    expect((await outdatedCollections(env.search, env.collections)).sort()).toEqual(
      [`${env.collections.messages}_v7`, `${env.collections.tickets}_v7`].sort(),
    );
    const before = await metric();
    for (const t of TENANTS) {
      expect(ids(await search(t, ''))).toEqual(ticketsOf(t));
      expect(ids(await search(t, 'q=pedido'))).toEqual(ticketsOf(t));
      expect(ids(await search(t, `ticket=${SHARED_SEQUENTIAL}`))).toEqual([shared[t]]);
    }
    // The old filter let the look-alikes through; the exact check after the search dropped them.
    expect(await metric()).toBeGreaterThan(before);

    const handle = await env.temporal.workflow.start(WORKFLOW.reindexSearch, {
      taskQueue: env.config.TEMPORAL_TASK_QUEUE,
      workflowId: `reindex-test-${uniqueSuffix()}`,
      args: [{}],
    });
    await handle.result();
    for (const kind of ['tickets', 'messages'] as const) {
      const live = (await env.search.collections(env.collections[kind]).retrieve()) as {
        name: string;
        fields: Array<{ name: string }>;
      };
      expect(live.name).toBe(`${env.collections[kind]}_v8`);
      expect(live.fields.map((f) => f.name)).toContain('tenant_key');
    }
    expect(await outdatedCollections(env.search, env.collections)).toEqual([]);
    const after = await metric();
    for (const t of TENANTS) {
      expect(ids(await search(t, ''))).toEqual(ticketsOf(t));
      expect(ids(await search(t, 'q=pedido'))).toEqual(ticketsOf(t));
    }
    // Every ticket archived is searchable again, and nothing of another tenant came back at all.
    expect(await metric()).toBe(after);
  }, 180_000);
});
