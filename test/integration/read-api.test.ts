import { createHash } from 'node:crypto';
import { request } from 'undici';
import { setTenantName } from '../../lib/db/tenants';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';
import { SAME_ORIGIN } from '../support/session-api';

/**
 * The read API on archived fixture data: sessions, search by every field, a ticket with its
 * messages and signed media links, a contact's history, the audit log, and tenant isolation.
 */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';
const CLINIC = 'clinicavidasana';
const index = fixtureIndex();
let latamCookie: string;
let clinicCookie: string;

async function login(auth: string, user?: string) {
  return env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(user ? { auth, user } : { auth }),
  });
}

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const header = res.headers['set-cookie'];
  const first = (Array.isArray(header) ? header[0] : header) as string;
  return first.split(';')[0] as string;
}

async function get(url: string, cookie = latamCookie) {
  const res = await env.app.inject({ method: 'GET', url, headers: { cookie } });
  return { statusCode: res.statusCode, body: res.json() };
}

const idsOf = (body: { hits: Array<{ ticketId: string }> }) => body.hits.map((h) => h.ticketId);

beforeAll(async () => {
  env = await startArchiveEnv();
  const answers = await Promise.all(
    index.tickets.map((t) => env.webhook(t.id, botAuthorization(t.bot.split('@')[0] as string))),
  );
  for (const a of answers) await env.result(a.body.workflowId as string);
  latamCookie = cookieOf(await login(botAuthorization(LATAM), 'ana.agente@loja.example'));
  clinicCookie = cookieOf(await login(botAuthorization(CLINIC)));
});
afterAll(async () => {
  await env?.close();
});

describe('sessions', () => {
  test('logging in with the bot key sets an HttpOnly SameSite cookie bound to the tenant', async () => {
    const res = await login(botAuthorization(LATAM), 'ana.agente@loja.example');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ tenantId: LATAM, actor: 'ana.agente@loja.example (claimed)' });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^tv_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const me = await get('/v1/session', cookieOf(res));
    expect(me.body).toMatchObject({ tenantId: LATAM, actor: 'ana.agente@loja.example (claimed)' });
  });

  test.each(index.invalidAuthorizations.map((a) => [a.why, a.authorization]))(
    'login with an invalid key (%s) is 401 and never echoes it',
    async (_why, auth) => {
      const res = await login(auth || 'Key ');
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/key/);
      const token = auth.split(' ')[1];
      if (token) expect(res.body).not.toContain(token);
    },
  );

  test('every read route needs a session or a key', async () => {
    for (const url of [
      '/v1/tickets',
      '/v1/tickets/b598352e-77f5-546c-a017-5ec108ed50ba',
      '/v1/contacts/x@y/tickets',
    ]) {
      const res = await env.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/log in/);
    }
    const forged = await get('/v1/tickets', 'tv_session=v1.atendimentolatam.99999999999.YQ.forged');
    expect(forged.statusCode).toBe(401);
  });

  test('Authorization: Key works without a session', async () => {
    const res = await env.app.inject({
      method: 'GET',
      url: '/v1/tickets?ticket=1042',
      headers: { authorization: botAuthorization(LATAM) },
    });
    expect(res.statusCode).toBe(200);
    expect(idsOf(res.json())).toEqual(['b598352e-77f5-546c-a017-5ec108ed50ba']);
  });

  test("the session names the tenant as people know it: the portal's bot name until an operator sets one", async () => {
    await env.db.query('update tenants set name = null where tenant_id = $1', [CLINIC]);
    const first = await env.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ auth: botAuthorization(CLINIC), botName: '  Clínica Vida Sana  ' }),
    });
    expect(first.json()).toMatchObject({ tenantName: 'Clínica Vida Sana', timeZone: 'America/Sao_Paulo' });
    await setTenantName(env.db, CLINIC, 'Clínica Vida Sana S.A.S.');
    const again = await env.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ auth: botAuthorization(CLINIC), botName: 'renamed in the portal' }),
    });
    expect(again.json().tenantName).toBe('Clínica Vida Sana S.A.S.');
    expect((await get('/v1/session', cookieOf(again))).body).toMatchObject({
      tenantId: CLINIC,
      tenantName: 'Clínica Vida Sana S.A.S.',
    });
  });

  test('logging out clears the cookie', async () => {
    const res = await env.app.inject({
      method: 'DELETE',
      url: '/v1/session',
      headers: { cookie: latamCookie, ...SAME_ORIGIN },
    });
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/tv_session=;/);
  });
});

describe('search', () => {
  test('everything of the tenant, newest first', async () => {
    const { statusCode, body } = await get('/v1/tickets');
    expect(statusCode).toBe(200);
    expect(body.found).toBe(5);
    const closed = body.hits.map((h: { closedAt: string }) => h.closedAt);
    expect([...closed].sort().reverse()).toEqual(closed);
    expect(body.hits[0]).toMatchObject({
      ticketId: '5a11ee25-ca1b-5ce2-a798-5f5affcff0a4',
      channel: 'Instagram',
    });
  });

  test('name: accent-insensitive, prefix and typo tolerant', async () => {
    for (const name of ['jose luis', 'José', 'hernandez', 'Hernadez']) {
      expect(idsOf((await get(`/v1/tickets?name=${encodeURIComponent(name)}`)).body)).toEqual([
        'e3b7acca-a3f2-537a-a08c-b490a42bcf67',
      ]);
    }
    expect(idsOf((await get('/v1/tickets?name=rafael')).body)).toEqual([
      '805c6e79-257e-5075-933c-0cdd20578e04',
      '1d91807c-ee64-51bd-9310-963620a44bca',
    ]);
  });

  test('phone however it is typed', async () => {
    for (const phone of ['+55 (11) 98765-4321', '11987654321', '98765-4321', '5511987654321']) {
      const { body } = await get(`/v1/tickets?phone=${encodeURIComponent(phone)}`);
      expect(idsOf(body)).toEqual(['b598352e-77f5-546c-a017-5ec108ed50ba']);
      expect(body.hits[0].contact).toMatchObject({ name: 'Ana Beatriz Souza', phone: '+5511987654321' });
    }
  });

  test('ticket id or sequential number', async () => {
    expect(idsOf((await get('/v1/tickets?ticket=1044')).body)).toEqual([
      '805c6e79-257e-5075-933c-0cdd20578e04',
    ]);
    expect(idsOf((await get('/v1/tickets?ticket=805C6E79-257E-5075-933C-0CDD20578E04')).body)).toEqual([
      '805c6e79-257e-5075-933c-0cdd20578e04',
    ]);
  });

  test('date range on the close date (whole days)', async () => {
    const { body } = await get('/v1/tickets?from=2025-03-11&to=2025-03-12');
    expect(idsOf(body)).toEqual([
      '805c6e79-257e-5075-933c-0cdd20578e04',
      '1d91807c-ee64-51bd-9310-963620a44bca',
      'e3b7acca-a3f2-537a-a08c-b490a42bcf67',
    ]);
  });

  test('free text inside messages, with plain-text highlight segments', async () => {
    const { body } = await get('/v1/tickets?q=licuadora');
    expect(body.found).toBeGreaterThanOrEqual(1);
    expect(body.textMatchesCapped).toBe(false);
    const hit = body.hits[0];
    expect(
      hit.highlight.some((s: { text: string; match: boolean }) => s.match && /licuadora/i.test(s.text)),
    ).toBe(true);
    expect(hit.highlight.map((s: { text: string }) => s.text).join('')).not.toMatch(/\u2063/);
  });

  test('paging', async () => {
    const first = (await get('/v1/tickets?perPage=2&page=1')).body;
    const second = (await get('/v1/tickets?perPage=2&page=2')).body;
    expect(first.hits).toHaveLength(2);
    expect(second.hits).toHaveLength(2);
    expect(new Set([...idsOf(first), ...idsOf(second)]).size).toBe(4);
  });

  test.each([
    ['from=yesterday', /from must be a date/],
    ['to=2025-02-30', /not a real date/],
    ['from=2025-03-13&to=2025-03-12', /from is after to/],
    ['perPage=101', /perPage/],
    ['page=0', /page/],
    ['phone=123', /at least 8 digits/],
    ['ticket=tenant_id:!=x', /ticket must be/],
    ['tenant=other', /must NOT have additional properties|tenant/],
    [`name=${'a'.repeat(201)}`, /name/],
  ])('bad query %s is a 400 naming the problem', async (qs, message) => {
    const { statusCode, body } = await get(`/v1/tickets?${qs}`);
    expect(statusCode).toBe(400);
    expect(body.message).toMatch(message);
  });
});

test.each([
  ['from=yesterday', 'date_invalid', { field: 'from' }],
  ['to=2025-02-30', 'date_unreal', { field: 'to' }],
  ['from=2025-03-13&to=2025-03-12', 'date_range_inverted', undefined],
  ['phone=123', 'phone_too_short', { min: 8 }],
  ['ticket=abc', 'ticket_invalid', undefined],
])('bad query %s answers the stable reason %s the UI translates', async (qs, reason, params) => {
  const { statusCode, body } = await get(`/v1/tickets?${qs}`);
  expect(statusCode).toBe(400);
  expect(body).toMatchObject({ error: 'bad_request', reason });
  expect(body.params).toEqual(params);
});

test('filters with counts: every channel, agent and team with its tickets, and a picked one narrows', async () => {
  const all = (await get('/v1/tickets?perPage=100')).body;
  expect(all.timeZone).toBe('America/Sao_Paulo');
  const channels = all.facets.channel as Array<{ value: string; count: number }>;
  expect(channels.reduce((n, c) => n + c.count, 0)).toBe(all.found);
  const first = channels[0];
  if (!first) throw new Error('no channel counted');
  const narrowed = (await get(`/v1/tickets?channel=${encodeURIComponent(first.value)}`)).body;
  expect(narrowed.found).toBe(first.count);
  expect(narrowed.hits.every((h: { channel: string }) => h.channel === first.value)).toBe(true);
  const bad = await get(`/v1/tickets?channel=${encodeURIComponent('x` || tenant_key:!=`y')}`);
  expect(bad.statusCode).toBe(400);
  expect(bad.body).toMatchObject({ reason: 'facet_invalid', params: { field: 'channel' } });
});

test('a text hit says which message matched, to open the ticket there', async () => {
  const { body } = await get('/v1/tickets?q=foto');
  const hit = body.hits[0];
  expect(typeof hit.hitPosition).toBe('number');
  const ticket = (await get(`/v1/tickets/${hit.ticketId}`)).body;
  const message = ticket.messages.find((m: { position: number }) => m.position === hit.hitPosition);
  expect(message.text.toLowerCase()).toContain('foto');
});

test('a schema violation names its field in params', async () => {
  const { statusCode, body } = await get('/v1/tickets?perPage=101');
  expect(statusCode).toBe(400);
  expect(body).toMatchObject({ error: 'bad_request', params: { field: 'perPage' } });
});

describe('reading a ticket', () => {
  test('messages in order with direction, text, and signed links that serve the stored bytes', async () => {
    const id = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
    const { statusCode, body } = await get(`/v1/tickets/${id}`);
    expect(statusCode).toBe(200);
    expect(body.ticket).toMatchObject({ ticketId: id, sequentialId: 1043, messageCount: 26 });
    expect(body.ticket.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(body.messages.map((m: { position: number }) => m.position)).toEqual([...Array(26).keys()]);
    expect(body.nextAfter).toBeNull();
    const media = body.messages.flatMap((m: { media: unknown[] }) => m.media) as Array<{
      status: string;
      url: string | null;
      sha256: string | null;
    }>;
    const stored = media.filter((m) => m.status === 'stored');
    expect(stored.length).toBeGreaterThanOrEqual(3);
    for (const m of stored) {
      expect(m.url).toMatch(/X-Goog-Signature=/);
      const res = await request(m.url as string);
      const bytes = Buffer.from(await res.body.arrayBuffer());
      expect(res.statusCode).toBe(200);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.sha256);
    }
    expect(media.filter((m) => m.status === 'unavailable').every((m) => m.url === null)).toBe(true);
  });

  test('an expired media link is re-issued on demand, for this tenant only, and audited', async () => {
    const id = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
    const { body } = await get(`/v1/tickets/${id}`);
    const withMedia = (
      body.messages as Array<{
        messageId: string;
        media: Array<{ ordinal: number; status: string; sha256: string }>;
      }>
    )
      .flatMap((m) => m.media.map((x) => ({ messageId: m.messageId, ...x })))
      .filter((m) => m.status === 'stored');
    const one = withMedia[0];
    if (!one) throw new Error('fixture ticket 1043 has no stored media');
    const path = `/v1/tickets/${id}/messages/${encodeURIComponent(one.messageId)}/media/${one.ordinal}`;
    const fresh = await get(path);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.body.expiresInSeconds).toBeGreaterThan(0);
    const res = await request(fresh.body.url as string);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(one.sha256);
    const { rows } = await env.db.query(
      "select actor, details from audit_log where action = 'media.link' and target = $1",
      [id],
    );
    expect(rows).toContainEqual({
      actor: 'ana.agente@loja.example (claimed)',
      details: { messageId: one.messageId, ordinal: one.ordinal },
    });
    // Another tenant, an ordinal that does not exist, a message of another ticket: the same 404.
    expect((await get(path, clinicCookie)).statusCode).toBe(404);
    expect(
      (await get(`/v1/tickets/${id}/messages/${encodeURIComponent(one.messageId)}/media/999`)).statusCode,
    ).toBe(404);
    expect(
      (
        await get(
          `/v1/tickets/b598352e-77f5-546c-a017-5ec108ed50ba/messages/${encodeURIComponent(one.messageId)}/media/${one.ordinal}`,
        )
      ).statusCode,
    ).toBe(404);
    expect((await get(`/v1/tickets/${id}/messages/x/media/-1`)).statusCode).toBe(400);
  });

  test('long tickets come in pages', async () => {
    const id = '805c6e79-257e-5075-933c-0cdd20578e04';
    const first = (await get(`/v1/tickets/${id}?limit=200`)).body;
    expect(first.messages).toHaveLength(200);
    expect(first.nextAfter).toBe(199);
    const rest = (await get(`/v1/tickets/${id}?limit=200&after=199`)).body;
    expect(rest.messages).toHaveLength(70);
    expect(rest.nextAfter).toBeNull();
  });

  test('every view is in the audit log with who looked', async () => {
    const id = 'b598352e-77f5-546c-a017-5ec108ed50ba';
    await get(`/v1/tickets/${id}`);
    const { rows } = await env.db.query(
      "select tenant_id, actor, action, target from audit_log where action = 'ticket.view' and target = $1",
      [id],
    );
    expect(rows).toContainEqual({
      tenant_id: LATAM,
      actor: 'ana.agente@loja.example (claimed)',
      action: 'ticket.view',
      target: id,
    });
  });

  test('unknown ticket and malformed id', async () => {
    const unknown = await get('/v1/tickets/00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body.message).toMatch(/not in this archive/);
    const bad = await get('/v1/tickets/..%2F..%2Fetc%2Fpasswd');
    expect(bad.statusCode).toBe(400);
  });

  test("a contact's history, newest first", async () => {
    const identity = encodeURIComponent('b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d.atendimentolatam@0mn.io');
    const { statusCode, body } = await get(`/v1/contacts/${identity}/tickets`);
    expect(statusCode).toBe(200);
    expect(body.tickets.map((t: { sequentialId: number }) => t.sequentialId)).toEqual([1044, 1039]);
  });
});

describe('tenant isolation', () => {
  test("another tenant's session sees none of the first tenant's tickets, whatever it asks", async () => {
    const all = (await get('/v1/tickets', clinicCookie)).body;
    expect(idsOf(all)).toEqual(['ec76db3c-68c3-513c-9d01-a54ee7ba0146']);
    const latamTickets = index.tickets.filter((t) => t.bot.startsWith(LATAM)).map((t) => t.id);
    for (const qs of [
      'name=ana',
      'name=Ana%20Beatriz',
      'phone=98765-4321',
      'ticket=1042',
      'q=licuadora',
      'name=*',
    ]) {
      const ids = idsOf((await get(`/v1/tickets?${qs}`, clinicCookie)).body);
      expect(ids.filter((id) => latamTickets.includes(id))).toEqual([]);
    }
    const ticket = await get('/v1/tickets/b598352e-77f5-546c-a017-5ec108ed50ba', clinicCookie);
    expect(ticket.statusCode).toBe(404);
    const contact = await get(
      `/v1/contacts/${encodeURIComponent('5511987654321@wa.gw.msging.net')}/tickets`,
      clinicCookie,
    );
    expect(contact.body.tickets).toEqual([]);
  });
});
