import type { FastifyInstance } from 'fastify';
import { webSurfaceOf } from '../../api/plugins/origin-check';
import { buildServer } from '../../api/server';
import { createAppOptions } from '../../api/services/app-options';
import { loadConfig, secretsOf } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import { createLogger } from '../../lib/logger';
import type { ObjectStore } from '../../lib/storage/object-store';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { waitFor } from '../../tools/harness/wait';
import { addClosedTicket, mediaLinkMessage, textMessages } from '../support/generated-tickets';

/**
 * One tenant looping over verify or ticket reads must not take the database and object store from
 * the others (issue 13). The API below runs over an object store whose calls wait at a gate the
 * test opens, so requests stay in progress exactly as long as the test needs (no timing).
 */

let env: ArchiveEnv;
let api: FastifyInstance;
/** A second API process (another replica) on the same database. */
let replica: FastifyInstance;
/** An API with low request rates (READ_/EXPORT_RATE_LIMIT_PER_MINUTE) over the ungated store. */
let limited: FastifyInstance;
const LATAM = 'atendimentolatam';
const CLINIC = 'clinicavidasana';
let ticketId: string;
let clinicTicketId: string;
let gate: { open: () => void; wait: Promise<void> } | null = null;
const waiting = { list: 0, signedReadUrl: 0 };

function closeGate() {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  gate = { open, wait };
  waiting.list = 0;
  waiting.signedReadUrl = 0;
}

/** The real store, with `list` (verify) and `signedReadUrl` (ticket read) held at the gate when it is closed. */
function gatedStore(store: ObjectStore): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if ((prop !== 'list' && prop !== 'signedReadUrl') || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (gate) {
          waiting[prop]++;
          await gate.wait;
        }
        return value.apply(target, args);
      };
    },
  });
}

const call = (url: string, on: () => FastifyInstance = () => api) =>
  on().inject({ method: 'GET', url, headers: { authorization: botAuthorization(LATAM) } });

beforeAll(async () => {
  env = await startArchiveEnv();
  const start = Date.now() - 86_400_000;
  const media = env.sim.addMedia({ contentType: 'image/png', generate: { size: 3_000, seed: 77 } });
  ticketId = addClosedTicket(env.sim, {
    bot: LATAM,
    start,
    contactName: 'Cliente Limite',
    messages: (id) => [
      ...textMessages(`lim-${id}`, 2, start, (i) => ['oi', 'ola'][i] as string),
      mediaLinkMessage(`lim-${id}-m`, start + 10_000, {
        type: 'image/png',
        uri: media.uri,
        size: media.size,
      }),
    ],
  });
  clinicTicketId = addClosedTicket(env.sim, {
    bot: CLINIC,
    start,
    contactName: 'Paciente Limite',
    messages: (id) => textMessages(`clin-${id}`, 2, start, (i) => ['bom dia', 'obrigado'][i] as string),
  });
  for (const [id, bot] of [
    [ticketId, LATAM],
    [clinicTicketId, CLINIC],
  ] as const) {
    const answer = await env.webhook(id, botAuthorization(bot));
    expect(answer.statusCode).toBe(202);
    await env.result(answer.body.workflowId as string);
  }
  const config = loadConfig({
    ...env.workerEnv,
    VERIFY_MAX_CONCURRENT_PER_TENANT: '2',
    TICKET_READ_MAX_CONCURRENT_PER_TENANT: '2',
  });
  const secrets = secretsOf(config);
  const build = (cfg = config, store = gatedStore(env.store)) =>
    buildServer({
      logger: createLogger('silent', 'test'),
      healthChecks: {},
      webSurface: webSurfaceOf(config),
      ...createAppOptions(cfg, {
        db: env.db,
        box: createSecretBox(secrets.encryptionKeys[0] as Buffer),
        sessionKeys: secrets.sessionKeys,
        search: env.search,
        collections: env.collections,
        store,
        temporal: env.temporal,
      }),
    });
  api = await build();
  replica = await build();
  limited = await build(
    loadConfig({
      ...env.workerEnv,
      READ_RATE_LIMIT_PER_MINUTE: '3',
      EXPORT_RATE_LIMIT_PER_MINUTE: '2',
      EXPORT_MAX_CONCURRENT_PER_TENANT: '20',
    }),
    env.store,
  );
});
afterAll(async () => {
  gate?.open();
  await api?.close();
  await replica?.close();
  await limited?.close();
  await env?.close();
});

test.each([
  ['verify', 'list', () => `/v1/tickets/${ticketId}/verify`, 'VERIFY_MAX_CONCURRENT_PER_TENANT=2'],
  [
    'ticket read',
    'signedReadUrl',
    () => `/v1/tickets/${ticketId}`,
    'TICKET_READ_MAX_CONCURRENT_PER_TENANT=2',
  ],
] as const)(
  'a tenant cannot have more %s requests in progress than the cap; 429 names it',
  async (_, held, url, setting) => {
    closeGate();
    const first = [call(url()), call(url())];
    await waitFor(
      `two requests held at ${held}`,
      30_000,
      async () => (waiting[held] >= 2 ? true : undefined),
      20,
    );
    // A third while two are in progress: refused at once, naming the setting (without a cap it
    // would reach the store too: then the gate opens and the assertion below names its 200).
    let settled = false;
    const pending = call(url()).finally(() => {
      settled = true;
    });
    await waitFor('the third request to end or reach the store', 30_000, () =>
      settled || waiting[held] >= 3 ? true : undefined,
    );
    if (!settled) gate?.open();
    const third = await pending;
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ error: 'rate_limited' });
    expect(third.json().message).toContain(setting);
    gate?.open();
    gate = null;
    for (const res of await Promise.all(first)) expect(res.statusCode).toBe(200);
    // Once they finished, the tenant's slots are free again.
    expect((await call(url())).statusCode).toBe(200);
  },
);

test('the cap is shared by the API replicas: two in progress on one, a third on another is refused', async () => {
  const url = `/v1/tickets/${ticketId}/verify`;
  closeGate();
  const first = [call(url), call(url)];
  await waitFor(
    'two verifications held at the store',
    30_000,
    async () => (waiting.list >= 2 ? true : undefined),
    20,
  );
  let settled = false;
  const pending = call(url, () => replica).finally(() => {
    settled = true;
  });
  await waitFor('the replica request to end or reach the store', 30_000, () =>
    settled || waiting.list >= 3 ? true : undefined,
  );
  if (!settled) gate?.open();
  const third = await pending;
  expect(third.statusCode).toBe(429);
  expect(third.json().message).toContain('VERIFY_MAX_CONCURRENT_PER_TENANT=2');
  gate?.open();
  gate = null;
  for (const res of await Promise.all(first)) expect(res.statusCode).toBe(200);
  expect((await call(url, () => replica)).statusCode).toBe(200);
});

test('slots held by a replica that died count until their lease expires, then come back', async () => {
  const url = `/v1/tickets/${ticketId}/verify`;
  // What a replica killed mid-request leaves behind: two live leases, never deleted.
  const dead = await env.db.query<{ lease_id: string }>(
    `insert into tenant_leases (lease_id, kind, tenant_id, expires_at)
     select gen_random_uuid(), 'VERIFY_MAX_CONCURRENT_PER_TENANT', $1, now() + interval '1 minute'
       from generate_series(1, 2) returning lease_id`,
    [LATAM],
  );
  expect((await call(url)).statusCode).toBe(429);
  // Nobody renews them: once expired, they no longer count.
  await env.db.query(
    `update tenant_leases set expires_at = now() - interval '1 second' where lease_id = any($1::uuid[])`,
    [dead.rows.map((r) => r.lease_id)],
  );
  expect((await call(url)).statusCode).toBe(200);
});

/** A live request to `limited` as `bot` (or with a forged key claiming LATAM). */
const limitedCall = (method: 'GET' | 'POST', url: string, authorization: string) =>
  limited.inject({ method, url, headers: { authorization } });
const FORGED = `Key ${Buffer.from(`${LATAM}:not-the-key`).toString('base64')}`;
let latamExportId = '';

test.each([
  ['ticket read', 'GET', (t: string) => `/v1/tickets/${t}`, 200, 'READ_RATE_LIMIT_PER_MINUTE=3'],
  [
    'media re-link',
    'GET',
    (t: string) => `/v1/tickets/${t}/messages/no-such-message/media/0`,
    404,
    'READ_RATE_LIMIT_PER_MINUTE=3',
  ],
  ['verify', 'GET', (t: string) => `/v1/tickets/${t}/verify`, 200, 'READ_RATE_LIMIT_PER_MINUTE=3'],
  [
    'contact read',
    'GET',
    () => '/v1/contacts/5511900000000@wa.gw.msging.net/tickets',
    200,
    'READ_RATE_LIMIT_PER_MINUTE=3',
  ],
  [
    'export creation',
    'POST',
    (t: string) => `/v1/tickets/${t}/exports`,
    202,
    'EXPORT_RATE_LIMIT_PER_MINUTE=2',
  ],
  [
    'contact export creation',
    'POST',
    () => '/v1/contacts/5511900000000@wa.gw.msging.net/exports',
    404,
    'EXPORT_RATE_LIMIT_PER_MINUTE=2',
  ],
] as const)(
  "a tenant's %s requests beyond its per-minute rate get 429 naming it; another tenant and a forged key keep theirs",
  async (_, method, url, ok, setting) => {
    const max = Number(setting.split('=')[1]);
    const latam = botAuthorization(LATAM);
    for (let i = 0; i < max; i++) {
      const res = await limitedCall(method, url(ticketId), latam);
      expect(res.statusCode).toBe(ok);
      if (ok === 202) latamExportId = res.json().exportId;
    }
    const over = await limitedCall(method, url(ticketId), latam);
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ error: 'rate_limited' });
    expect(over.json().message).toContain(setting);
    // Another tenant still gets its answer.
    expect((await limitedCall(method, url(clinicTicketId), botAuthorization(CLINIC))).statusCode).toBe(ok);
    // A wrong key claiming the tenant reaches the key check (401), not the tenant's spent bucket.
    expect((await limitedCall(method, url(ticketId), FORGED)).statusCode).toBe(401);
  },
);

test("export reads (polled by the UI) count as reads (READ_RATE_LIMIT_PER_MINUTE); another tenant's are not", async () => {
  expect(latamExportId).not.toBe('');
  const latam = botAuthorization(LATAM);
  const url = `/v1/exports/${latamExportId}`;
  // More than EXPORT_RATE_LIMIT_PER_MINUTE (2): polling an export does not spend the export budget.
  for (let i = 0; i < 3; i++) expect((await limitedCall('GET', url, latam)).statusCode).toBe(200);
  const over = await limitedCall('GET', url, latam);
  expect(over.statusCode).toBe(429);
  expect(over.json().message).toContain('READ_RATE_LIMIT_PER_MINUTE=3');
  // The clinic cannot see LATAM's export (404), and is not limited by LATAM's reads.
  expect((await limitedCall('GET', url, botAuthorization(CLINIC))).statusCode).toBe(404);
  expect((await limitedCall('GET', url, FORGED)).statusCode).toBe(401);
});
