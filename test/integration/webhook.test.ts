import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server';
import { createWebhookOptions } from '../../api/services/webhook';
import { botKeyFromAccessKey } from '../../lib/blip/key';
import { encryptionKey } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import { setTenantCommandsUrl, tenantAuthorization } from '../../lib/db/tenants';
import { createLogger } from '../../lib/logger';
import { archiveWorkflowId } from '../../lib/temporal/contract';
import { type BlipSimulator, createBlipSimulator } from '../../tools/blip-sim';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization, fixtureIndex } from '../../tools/harness/blip-fixtures';
import { addClosedTicket, textMessages, whatsAppCustomer } from '../support/generated-tickets';

/**
 * POST /v1/tickethistory on the real stack: every rejection (status, a message naming the
 * problem, nothing stored, the key never echoed or logged), tenant admission (first key checked
 * against Blip and stored sealed, rotation), ALLOWED_BOTS, the per-tenant rate limit and the
 * per-tenant commands URL the worker archives from.
 */

const index = fixtureIndex();
const LATAM = 'atendimentolatam';
const CLINICA = 'clinicavidasana';
const LATAM_TICKET = 'b598352e-77f5-546c-a017-5ec108ed50ba';
const WRONG_KEY = invalidAuthorization('known bot, wrong access key');
const UNKNOWN_BOT = invalidAuthorization('unknown bot');
const ROTATED_ACCESS_KEY = Buffer.from('R0tated-S3cret-9q').toString('base64');
const ROTATED_CLINICA_ACCESS_KEY = Buffer.from('Cl1nica-N3w-S3cret').toString('base64');

function invalidAuthorization(why: string): string {
  const found = index.invalidAuthorizations.find((a) => a.why === why);
  if (!found) throw new Error(`no invalid authorization "${why}" in the fixtures`);
  return found.authorization;
}

/** Every spelling of a key that must never appear in a response or a log line. */
function secretsOf(authorization: string, accessKey?: string): string[] {
  const token = authorization.replace(/^\S+ /, '');
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const secret = decoded.slice(decoded.indexOf(':') + 1);
  return [authorization, token, decoded, secret, ...(accessKey ? [accessKey] : [])].filter(
    (s) => s.length >= 8,
  );
}

const SECRETS = [
  ...index.bots.flatMap((b) => secretsOf(b.authorization, b.accessKey)),
  ...secretsOf(WRONG_KEY),
  ...secretsOf(UNKNOWN_BOT),
  ...secretsOf(botKeyFromAccessKey(LATAM, ROTATED_ACCESS_KEY), ROTATED_ACCESS_KEY),
  ...secretsOf(botKeyFromAccessKey(CLINICA, ROTATED_CLINICA_ACCESS_KEY), ROTATED_CLINICA_ACCESS_KEY),
];

function expectNoSecret(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

interface Answer {
  statusCode: number;
  body: Record<string, unknown>;
  raw: string;
}

/** Every response body any test received, checked for keys at the end. */
const seen: string[] = [];

async function post(
  app: FastifyInstance,
  payload: string,
  contentType: string | null = 'application/json',
): Promise<Answer> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/tickethistory',
    headers: contentType === null ? {} : { 'content-type': contentType },
    payload,
  });
  seen.push(res.body);
  let body: Record<string, unknown> = {};
  try {
    body = res.json();
  } catch {
    body = { unparsable: res.body };
  }
  return { statusCode: res.statusCode, body, raw: res.body };
}

const json = (value: unknown) => JSON.stringify(value);

function expectError(a: Answer, status: number, message: RegExp): void {
  expect({ status: a.statusCode, body: a.body }).toEqual({
    status,
    // A schema refusal also names its field in params (the UI's translated message).
    body: expect.objectContaining({ error: expect.any(String), message: expect.stringMatching(message) }),
  });
  expectNoSecret(a.raw);
}

async function tenantRows(env: ArchiveEnv) {
  const { rows } = await env.db.query<{
    tenant_id: string;
    bot_identity: string;
    key_sealed: string;
    key_fingerprint: string;
    commands_url: string | null;
  }>('select tenant_id, bot_identity, key_sealed, key_fingerprint, commands_url from tenants order by 1');
  return rows;
}

/**
 * No workflow of this env is still open (a test that started one awaited it), so nothing is left
 * on a task queue whose worker is about to stop. Visibility lags a little: poll briefly.
 */
async function expectNothingRunning(env: ArchiveEnv): Promise<void> {
  const query = `TaskQueue = "${env.config.TEMPORAL_TASK_QUEUE}" AND ExecutionStatus = "Running"`;
  let running = -1;
  for (let i = 0; i < 50 && running !== 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    running = (await env.temporal.workflow.count(query)).count;
  }
  expect(running).toBe(0);
}

const boxOf = (env: ArchiveEnv) => createSecretBox(encryptionKey(env.config).key);

/** A closed ticket of `bot` with `count` text messages, registered in `sim` only. */
function addGeneratedTicket(sim: BlipSimulator, bot: string, count: number): string {
  const start = Date.parse('2025-07-01T10:00:00.000Z');
  return addClosedTicket(sim, {
    bot,
    start,
    customer: whatsAppCustomer('57300', 7),
    contactName: 'Paciente Gerado',
    messages: (id) => textMessages(`gen-${id}`, count, start, (i) => `mensaje ${i}`),
  });
}

afterAll(() => {
  expect(seen.length).toBeGreaterThan(40);
  for (const body of seen) expectNoSecret(body);
});

describe('one installation (no ALLOWED_BOTS, default limits)', () => {
  let env: ArchiveEnv;
  let latamAuth = botAuthorization(LATAM);
  let clinicaAuth = botAuthorization(CLINICA);
  // Generated tickets, not fixture ones: workflow ids are namespace-wide, and other test files on
  // the same Temporal may archive the fixture tickets at the same moment.
  let latamTicket: string;
  let clinicaTicket: string;

  beforeAll(async () => {
    env = await startArchiveEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  describe('rejected webhooks: status, a message naming the problem, nothing stored', () => {
    const valid = { ticket: LATAM_TICKET, auth: botAuthorization(LATAM) };

    test.each<[string, string, RegExp]>([
      ['not JSON', `{"ticket": "${LATAM_TICKET}", "auth": "${valid.auth}"`, /JSON/],
      ['JSON that is not an object', json(valid.auth), /body must be object/],
      ['a JSON array', json([valid]), /body must be object/],
      ['JSON null', 'null', /body/],
      ['an empty body', '', /body is empty/],
      ['ticket missing', json({ auth: valid.auth }), /ticket/],
      ['ticket null', json({ ...valid, ticket: null }), /ticket/],
      ['ticket empty', json({ ...valid, ticket: '' }), /ticket/],
      ['ticket blank', json({ ...valid, ticket: '   ' }), /ticket/],
      ['ticket a number', json({ ...valid, ticket: 87 }), /ticket/],
      ['ticket an object', json({ ...valid, ticket: { id: LATAM_TICKET } }), /ticket/],
      ['ticket oversized', json({ ...valid, ticket: `${LATAM_TICKET}-${'a'.repeat(60)}` }), /ticket/],
      ['ticket not a Blip ticket id', json({ ...valid, ticket: 'abc-123' }), /ticket.*Blip ticket id/],
      ['ticket a Builder placeholder', json({ ...valid, ticket: '{{input.content@id}}' }), /ticket/],
      ['ticket with a path in it', json({ ...valid, ticket: `${LATAM_TICKET}/../x` }), /ticket/],
      ['auth missing', json({ ticket: LATAM_TICKET }), /auth/],
      ['auth null', json({ ...valid, auth: null }), /auth/],
      ['auth empty', json({ ...valid, auth: '' }), /auth/],
      ['auth a number', json({ ...valid, auth: 12345 }), /auth/],
      ['auth oversized', json({ ...valid, auth: `Key ${'A'.repeat(1100)}` }), /auth/],
    ])('400 for %s', async (_name, payload, message) => {
      expectError(await post(env.app, payload), 400, message);
    });

    test.each<[string, string, RegExp]>([
      ['wrong scheme (Bearer)', invalidAuthorization('wrong scheme'), /auth.*'Key' scheme/],
      ['not base64', invalidAuthorization('not base64'), /auth.*base64/],
      [
        'no "identifier:" in the token',
        `Key ${Buffer.from('semdoispontos').toString('base64')}`,
        /auth.*':'/,
      ],
      ['an empty secret', `Key ${Buffer.from(`${LATAM}:`).toString('base64')}`, /auth.*empty secret/],
      ['an empty identifier', `Key ${Buffer.from(':segredo1').toString('base64')}`, /auth.*identifier/],
      ['"Key" alone', 'Key', /auth/],
    ])('401 for a malformed key: %s', async (_name, auth, message) => {
      expectError(await post(env.app, json({ ticket: LATAM_TICKET, auth })), 401, message);
    });

    test('401 when Blip rejects the key (known bot, wrong access key), asked once', async () => {
      env.sim.clearRequestLog();
      const a = await post(env.app, json({ ticket: LATAM_TICKET, auth: WRONG_KEY }));
      expectError(a, 401, new RegExp(`Blip rejected the key of bot ${LATAM}`));
      const asked = env.sim.requestLog.filter((r) => r.kind === 'command');
      expect(asked.length).toBeGreaterThanOrEqual(1);
      expect(asked.every((r) => r.status === 401)).toBe(true);
    });

    test('401 for a bot Blip does not know', async () => {
      expectError(
        await post(env.app, json({ ticket: LATAM_TICKET, auth: UNKNOWN_BOT })),
        401,
        /Blip rejected/,
      );
    });

    test.each<[string, string | null]>([
      ['text/plain', 'text/plain'],
      ['text/plain with a charset', 'text/plain; charset=utf-8'],
      ['a form', 'application/x-www-form-urlencoded'],
      ['multipart', 'multipart/form-data; boundary=x'],
      ['application/xml', 'application/xml'],
      ['no Content-Type at all', null],
    ])('415 for %s, even when the body is valid JSON', async (_name, contentType) => {
      const a = await post(env.app, json(valid), contentType);
      expectError(a, 415, /Content-Type must be application\/json/);
    });

    test('413 for a body over WEBHOOK_BODY_LIMIT', async () => {
      const payload = json({ ...valid, padding: 'x'.repeat(env.config.WEBHOOK_BODY_LIMIT) });
      expectError(await post(env.app, payload), 413, /body is larger than allowed/);
    });

    test('no tenant, ticket or workflow was stored by any of them', async () => {
      expect(await tenantRows(env)).toEqual([]);
      const { rows } = await env.db.query('select count(*)::int as n from tickets');
      expect(rows[0].n).toBe(0);
      const started = await env.temporal.workflow.count(`TaskQueue = "${env.config.TEMPORAL_TASK_QUEUE}"`);
      expect(started.count).toBe(0);
    });
  });

  describe('accepted webhooks and tenants', () => {
    test('the first accepted webhook creates the tenant with its key sealed, and archives', async () => {
      latamTicket = addGeneratedTicket(env.sim, LATAM, 3);
      const a = await post(env.app, json({ ticket: latamTicket, auth: latamAuth }));
      expect(a.statusCode).toBe(202);
      expect(a.body).toEqual({ workflowId: archiveWorkflowId(LATAM, latamTicket), status: 'started' });

      const rows = await tenantRows(env);
      expect(rows).toHaveLength(1);
      const row = rows[0] as (typeof rows)[number];
      expect(row).toMatchObject({
        tenant_id: LATAM,
        bot_identity: `${LATAM}@msging.net`,
        commands_url: null,
      });
      expect(row.key_fingerprint).toEqual(expect.any(String));
      expect(row.key_fingerprint.length).toBeGreaterThan(16);
      expectNoSecret(row.key_sealed);
      expectNoSecret(row.key_fingerprint);
      expect(await tenantAuthorization(env.db, boxOf(env), LATAM)).toBe(latamAuth);

      const result = await env.result(a.body.workflowId as string);
      expect(result.messageCount).toBe(3);
    });

    test('the same ticket again answers "archived" without asking Blip', async () => {
      env.sim.clearRequestLog();
      const a = await post(env.app, json({ ticket: latamTicket, auth: latamAuth }));
      expect(a.statusCode).toBe(202);
      expect(a.body).toEqual({ workflowId: archiveWorkflowId(LATAM, latamTicket), status: 'archived' });
      expect(env.sim.requestLog.filter((r) => r.kind === 'command')).toEqual([]);
    });

    test('an upper-case, padded ticket id and a charset parameter are accepted', async () => {
      const a = await post(
        env.app,
        json({ ticket: ` ${latamTicket.toUpperCase()} `, auth: latamAuth }),
        'application/json; charset=utf-8',
      );
      expect(a.statusCode).toBe(202);
      expect(a.body).toEqual({ workflowId: archiveWorkflowId(LATAM, latamTicket), status: 'archived' });
    });

    test('a rejected key of a known tenant leaves its stored key alone', async () => {
      const before = await tenantRows(env);
      expectError(await post(env.app, json({ ticket: latamTicket, auth: WRONG_KEY })), 401, /Blip rejected/);
      expect(await tenantRows(env)).toEqual(before);
      expect(await tenantAuthorization(env.db, boxOf(env), LATAM)).toBe(latamAuth);
    });

    test('a rotated key replaces the stored one; the old key is refused from then on', async () => {
      const [before] = await tenantRows(env);
      const oldAuth = latamAuth;
      latamAuth = env.sim.setBotKey(LATAM, ROTATED_ACCESS_KEY);
      expect(latamAuth).toBe(botKeyFromAccessKey(LATAM, ROTATED_ACCESS_KEY));
      expect(latamAuth).not.toBe(oldAuth);

      const a = await post(env.app, json({ ticket: latamTicket, auth: latamAuth }));
      expect(a.statusCode).toBe(202);
      expect(a.body).toEqual({ workflowId: archiveWorkflowId(LATAM, latamTicket), status: 'archived' });

      const rows = await tenantRows(env);
      expect(rows).toHaveLength(1);
      const row = rows[0] as (typeof rows)[number];
      expect(row.key_fingerprint).not.toBe(before?.key_fingerprint);
      expect(row.key_sealed).not.toBe(before?.key_sealed);
      expectNoSecret(row.key_sealed);
      expect(await tenantAuthorization(env.db, boxOf(env), LATAM)).toBe(latamAuth);

      const old = await post(env.app, json({ ticket: latamTicket, auth: oldAuth }));
      expectError(old, 401, /Blip rejected/);
      expect(await tenantAuthorization(env.db, boxOf(env), LATAM)).toBe(latamAuth);

      // The worker archives with the new key: a new ticket goes through end to end.
      const fresh = addGeneratedTicket(env.sim, LATAM, 3);
      const b = await post(env.app, json({ ticket: fresh, auth: latamAuth }));
      expect(b.statusCode).toBe(202);
      expect((await env.result(b.body.workflowId as string)).messageCount).toBe(3);
    });

    describe('per-tenant commands URL', () => {
      let sim2: BlipSimulator;
      beforeAll(async () => {
        sim2 = createBlipSimulator();
        await sim2.listen(0);
      });
      afterAll(async () => {
        await sim2?.close();
      });

      test('the worker archives from the tenant’s own commands URL', async () => {
        clinicaTicket = addGeneratedTicket(env.sim, CLINICA, 2);
        const first = await post(env.app, json({ ticket: clinicaTicket, auth: clinicaAuth }));
        expect(first.statusCode).toBe(202);
        await env.result(first.body.workflowId as string);

        await setTenantCommandsUrl(env.db, CLINICA, sim2.urls.commandsUrl);
        const ticket = addGeneratedTicket(sim2, CLINICA, 4);
        env.sim.clearRequestLog();
        sim2.clearRequestLog();

        const a = await post(env.app, json({ ticket, auth: clinicaAuth }));
        expect(a.statusCode).toBe(202);
        expect(a.body).toEqual({ workflowId: archiveWorkflowId(CLINICA, ticket), status: 'started' });
        const result = await env.result(a.body.workflowId as string);
        expect(result.messageCount).toBe(4);

        const { rows } = await env.db.query<{ message_id: string }>(
          'select message_id from messages where tenant_id = $1 and ticket_id = $2 order by position',
          [CLINICA, ticket],
        );
        expect(rows.map((r) => r.message_id)).toEqual([0, 1, 2, 3].map((i) => `gen-${ticket}-${i}`));
        expect(sim2.requestLog.some((r) => r.kind === 'command' && r.bot === `${CLINICA}@msging.net`)).toBe(
          true,
        );
        expect(env.sim.requestLog.filter((r) => r.kind === 'command')).toEqual([]);
      });

      test('a rotated key is checked against the tenant’s commands URL, not BLIP_API_URL', async () => {
        clinicaAuth = sim2.setBotKey(CLINICA, ROTATED_CLINICA_ACCESS_KEY);
        env.sim.clearRequestLog();
        const ticket = addGeneratedTicket(sim2, CLINICA, 2);
        const a = await post(env.app, json({ ticket, auth: clinicaAuth }));
        expect(a.statusCode).toBe(202);
        expect(await tenantAuthorization(env.db, boxOf(env), CLINICA)).toBe(clinicaAuth);
        expect((await env.result(a.body.workflowId as string)).messageCount).toBe(2);
        expect(env.sim.requestLog.filter((r) => r.kind === 'command')).toEqual([]);
      });
    });
  });

  describe('logs', () => {
    test('no key reaches the log, whatever the request', async () => {
      const lines: string[] = [];
      const logger = createLogger('trace', 'webhook-test', {
        write(chunk: string) {
          lines.push(chunk);
        },
      });
      const app = await buildServer({
        logger,
        healthChecks: {},
        webhook: createWebhookOptions({
          db: env.db,
          box: boxOf(env),
          temporal: env.temporal,
          taskQueue: env.config.TEMPORAL_TASK_QUEUE,
          defaultCommandsUrl: env.config.BLIP_API_URL,
          allowedBots: [],
          blipTimeoutMs: env.config.BLIP_TIMEOUT_MS,
          bodyLimit: env.config.WEBHOOK_BODY_LIMIT,
          rateLimit: { max: 1000, timeWindowMs: 60_000 },
        }),
      });
      try {
        // Current keys (202 for archived tickets, nothing started), pre-rotation and wrong ones (401).
        const keys: Array<[string, string]> = [
          [latamAuth, latamTicket],
          [clinicaAuth, clinicaTicket],
          ...index.bots.map((b): [string, string] => [
            b.authorization,
            b.identifier === LATAM ? latamTicket : clinicaTicket,
          ]),
          [WRONG_KEY, latamTicket],
        ];
        const answers: Answer[] = [];
        for (const [auth, ticket] of keys) {
          const body = { ticket, auth };
          answers.push(
            await post(app, json(body)),
            await post(app, json(body).slice(0, -2)),
            await post(app, json(body), 'text/plain'),
            await post(app, json(body), null),
            await post(app, json({ ...body, padding: 'x'.repeat(5000) })),
            await post(app, json({ ...body, ticket: 'nope' })),
            await post(app, json({ ...body, ticket: undefined })),
            await post(app, json({ auth: `Bearer ${auth.slice(4)}`, ticket })),
            await post(app, json(auth)),
          );
        }
        // Blip unreachable while checking a new key: 503, and the failure is not logged with the key.
        env.sim.faults.enqueue({ kind: 'error', status: 503, count: 10 });
        const unreachable = await post(app, json({ ticket: LATAM_TICKET, auth: UNKNOWN_BOT }));
        env.sim.faults.reset({});
        expectError(unreachable, 503, /could not reach Blip/);
        answers.push(unreachable);

        const statuses = new Set(answers.map((a) => a.statusCode));
        expect([...statuses].sort()).toEqual([202, 400, 401, 413, 415, 503]);
        for (const a of answers) expectNoSecret(a.raw);

        const log = lines.join('');
        expect(log).toContain('archive requested');
        expect(log).toContain('incoming request');
        expectNoSecret(log);
      } finally {
        await app.close();
      }
    });
  });

  test('no workflow is left open', async () => {
    await expectNothingRunning(env);
    // The query does see this env's workflows (5 archives above).
    const all = await env.temporal.workflow.count(`TaskQueue = "${env.config.TEMPORAL_TASK_QUEUE}"`);
    expect(all.count).toBeGreaterThanOrEqual(4);
  });
});

describe('ALLOWED_BOTS', () => {
  let env: ArchiveEnv;
  beforeAll(async () => {
    env = await startArchiveEnv({ env: { ALLOWED_BOTS: CLINICA } });
  });
  afterAll(async () => {
    await env?.close();
  });

  test('a bot outside ALLOWED_BOTS is 401 with its valid key, and Blip is not even asked', async () => {
    env.sim.clearRequestLog();
    const a = await post(env.app, json({ ticket: LATAM_TICKET, auth: botAuthorization(LATAM) }));
    expectError(a, 401, new RegExp(`bot ${LATAM} is not allowed.*ALLOWED_BOTS`));
    expect(env.sim.requestLog.filter((r) => r.kind === 'command')).toEqual([]);
    expect(await tenantRows(env)).toEqual([]);
  });

  test('an allowed bot is accepted; concurrent first webhooks make one tenant and one workflow', async () => {
    const ticket = addGeneratedTicket(env.sim, CLINICA, 2);
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        post(env.app, json({ ticket: ticket, auth: botAuthorization(CLINICA) })),
      ),
    );
    const workflowId = archiveWorkflowId(CLINICA, ticket);
    for (const a of answers) {
      expect(a.statusCode).toBe(202);
      expect(a.body.workflowId).toBe(workflowId);
    }
    expect(answers.filter((a) => a.body.status === 'started')).toHaveLength(1);
    await env.result(workflowId);
    const rows = await tenantRows(env);
    expect(rows.map((r) => r.tenant_id)).toEqual([CLINICA]);
    expect(await tenantAuthorization(env.db, boxOf(env), CLINICA)).toBe(botAuthorization(CLINICA));
    await expectNothingRunning(env);
  });
});

describe('per-tenant rate limit', () => {
  let env: ArchiveEnv;
  beforeAll(async () => {
    env = await startArchiveEnv({ env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await env?.close();
  });

  test('once its key is known, the 4th webhook of a bot within a minute is 429; another bot is still accepted', async () => {
    const latam = botAuthorization(LATAM);
    // The first webhook of a new bot is counted per client address: its key is not verified yet,
    // so it cannot spend the bot's quota (a forged key must never exhaust it).
    const firstTicket = addGeneratedTicket(env.sim, LATAM, 2);
    expect((await post(env.app, json({ ticket: firstTicket, auth: latam }))).statusCode).toBe(202);
    const latamTicket = addGeneratedTicket(env.sim, LATAM, 2);
    const clinicaTicket = addGeneratedTicket(env.sim, CLINICA, 2);
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await post(env.app, json({ ticket: latamTicket, auth: latam })));
    for (const a of answers) {
      expect(a.statusCode).toBe(202);
      expect(a.body.workflowId).toBe(archiveWorkflowId(LATAM, latamTicket));
    }
    expect(answers[0]?.body.status).toBe('started');

    const fourth = await post(env.app, json({ ticket: latamTicket, auth: latam }));
    expectError(fourth, 429, /too many webhooks for this bot/);

    const other = await post(env.app, json({ ticket: clinicaTicket, auth: botAuthorization(CLINICA) }));
    expect(other.statusCode).toBe(202);
    expect(other.body).toEqual({ workflowId: archiveWorkflowId(CLINICA, clinicaTicket), status: 'started' });

    await env.result(archiveWorkflowId(LATAM, firstTicket));
    await env.result(archiveWorkflowId(LATAM, latamTicket));
    await env.result(archiveWorkflowId(CLINICA, clinicaTicket));
    await expectNothingRunning(env);
  });
});
