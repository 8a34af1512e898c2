import { randomBytes } from 'node:crypto';
import { encryptionKey } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import {
  resealAllTenantKeys,
  tenantAuthorization,
  tenantKeyMatches,
  upsertTenant,
} from '../../lib/db/tenants';
import type { QueuedFault } from '../../tools/blip-sim';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';

/**
 * Key checks fail closed (issue 13): a webhook carrying a new key for a bot replaces its stored
 * key only when Blip proves the key (the ticket, or its documented "not found"). A 400, a 404/405
 * from an edge, another LIME failure or a success without the ticket must neither admit the key
 * nor replace the stored one.
 */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';
const CLINIC = 'clinicavidasana';
const LATAM_TICKET = 'b598352e-77f5-546c-a017-5ec108ed50ba';
const CLINIC_TICKET = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146';
let storedKey: string;
let newKey: string;

const box = () => createSecretBox(encryptionKey(env.config).key);
const stored = (tenantId: string, key: string) => tenantKeyMatches(env.db, box(), tenantId, key);
const keyChanges = async (tenantId: string) =>
  (
    await env.db.query(
      `select count(*)::int as n from tenant_history where tenant_id = $1 and event = 'key-changed'`,
      [tenantId],
    )
  ).rows[0].n as number;

beforeAll(async () => {
  env = await startArchiveEnv();
  storedKey = botAuthorization(LATAM);
  const res = await env.webhook(LATAM_TICKET, storedKey);
  expect(res.statusCode).toBe(202);
  await env.result(res.body.workflowId as string);
  // The owner rotates the key in Blip; the next webhooks carry the new one.
  newKey = env.sim.setBotKey(LATAM, Buffer.from('nova-chave-latam').toString('base64'));
});
afterAll(async () => {
  await env?.close();
});

const notProof: Array<[string, QueuedFault, number, RegExp]> = [
  ['HTTP 400', { kind: 'error', status: 400 }, 502, /HTTP 400/],
  ['HTTP 404 from an edge', { kind: 'error', status: 404 }, 502, /HTTP 404; check the commands URL/],
  ['HTTP 405 from an edge', { kind: 'error', status: 405 }, 502, /HTTP 405/],
  [
    'LIME failure 62',
    { kind: 'lime-failure', reasonCode: 62, description: 'The resource is not supported' },
    502,
    /LIME 62/,
  ],
  [
    'LIME failure without a code',
    { kind: 'lime-failure', description: 'Unable to perform operation' },
    502,
    /Unable/,
  ],
  ['a success without the ticket', { kind: 'malformed-success' }, 502, /success without the ticket/],
  ['HTTP 503', { kind: 'error', status: 503, count: 2 }, 503, /could not reach Blip/],
];

test.each(notProof)(
  '%s from the key check neither admits the new key nor replaces the stored one',
  async (_what, fault, status, message) => {
    env.sim.faults.enqueue({ ...fault, match: `/ticket/${LATAM_TICKET}` });
    const res = await env.webhook(LATAM_TICKET, newKey);
    expect(res.statusCode).toBe(status);
    expect(res.body.message).toMatch(/atendimentolatam/);
    expect(res.body.message).toMatch(message);
    expect(JSON.stringify(res.body)).not.toContain(newKey.slice(4));
    expect(await stored(LATAM, storedKey)).toBe(true);
    expect(await stored(LATAM, newKey)).toBe(false);
    expect(await keyChanges(LATAM)).toBe(0);
  },
);

test('a new bot is not admitted on an answer that proves nothing', async () => {
  env.sim.faults.enqueue({ kind: 'error', status: 400, match: `/ticket/${CLINIC_TICKET}` });
  const res = await env.webhook(CLINIC_TICKET, botAuthorization(CLINIC));
  expect(res.statusCode).toBe(502);
  const { rows } = await env.db.query('select 1 from tenants where tenant_id = $1', [CLINIC]);
  expect(rows).toHaveLength(0);
});

test('a key Blip rejects is 401 and the stored key stays', async () => {
  const wrong = `Key ${Buffer.from(`${LATAM}:not-the-key`).toString('base64')}`;
  const res = await env.webhook(LATAM_TICKET, wrong);
  expect(res.statusCode).toBe(401);
  expect(await stored(LATAM, storedKey)).toBe(true);
});

test('Blip proving the new key replaces the stored one, recorded in the history and the audit log', async () => {
  const res = await env.webhook(LATAM_TICKET, newKey);
  expect(res.statusCode).toBe(202);
  expect(await stored(LATAM, newKey)).toBe(true);
  expect(await stored(LATAM, storedKey)).toBe(false);
  expect(await keyChanges(LATAM)).toBe(1);
  const audit = await env.db.query(
    `select actor, action, target from audit_log where tenant_id = $1 and action = 'tenant.key-changed'`,
    [LATAM],
  );
  expect(audit.rows).toEqual([
    { actor: 'webhook (key checked with Blip)', action: 'tenant.key-changed', target: LATAM },
  ]);
  // Blip's documented "not found" for a ticket this bot does not have also proves a key (API.md §8).
  const unknown = await env.webhook('0f0f0f0f-0000-4000-8000-000000000000', botAuthorization(CLINIC));
  expect(unknown.statusCode).toBe(202);
  expect(await stored(CLINIC, botAuthorization(CLINIC))).toBe(true);
});

test('rotating ARCHIVE_ENCRYPTION_KEY: stored keys open with the previous key, are re-sealed, and stay the same key', async () => {
  const bot = 'rotacao-teste';
  const key = `Key ${Buffer.from(`${bot}:segredo`).toString('base64')}`;
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const before = createSecretBox(oldKey);
  await upsertTenant(env.db, before, { tenantId: bot, botIdentity: `${bot}@msging.net`, authorization: key });
  const epoch = async () =>
    (await env.db.query('select session_epoch from tenants where tenant_id = $1', [bot])).rows[0]
      .session_epoch;
  const epochBefore = await epoch();

  const during = createSecretBox(newKey, [oldKey]);
  // The same key arriving again (a webhook) is not a key change: no session ends.
  expect(
    await upsertTenant(env.db, during, {
      tenantId: bot,
      botIdentity: `${bot}@msging.net`,
      authorization: key,
    }),
  ).toEqual({
    created: false,
    keyChanged: false,
  });
  expect(await epoch()).toBe(epochBefore);
  expect(await resealAllTenantKeys(env.db, during)).toMatchObject({
    resealed: expect.arrayContaining([bot]),
  });

  // The previous key can go: the new one alone opens and recognises the stored key.
  const after = createSecretBox(newKey);
  expect(await tenantAuthorization(env.db, after, bot)).toBe(key);
  expect(await tenantKeyMatches(env.db, after, bot, key)).toBe(true);
});
