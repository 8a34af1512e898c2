import { randomBytes } from 'node:crypto';
import { encryptionKey } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import { upsertTenant } from '../../lib/db/tenants';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { cliFor } from '../support/cli-harness';
import { SAME_ORIGIN } from '../support/session-api';

/**
 * Read sessions as an attacker would try them (issue 13): a session outlives "log out everywhere"
 * or a key change; a key Blip revoked still opens the archive; a bot id with a dot can never sign
 * in; the name typed at login passes for a verified identity.
 */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';
const CLINIC = 'clinicavidasana';
const LATAM_TICKET = 'b598352e-77f5-546c-a017-5ec108ed50ba';
const CLINIC_TICKET = 'ec76db3c-68c3-513c-9d01-a54ee7ba0146';

const keyOf = (identifier: string, secret: string) =>
  `Key ${Buffer.from(`${identifier}:${secret}`, 'utf8').toString('base64')}`;

async function login(auth: string, user?: string) {
  return env.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ auth, ...(user ? { user } : {}) }),
  });
}
const cookieOf = (res: { headers: Record<string, unknown> }) =>
  String(res.headers['set-cookie']).split(';')[0] as string;
const me = (cookie: string) => env.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } });

beforeAll(async () => {
  env = await startArchiveEnv({
    env: {
      ARCHIVE_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      // Every login asks Blip, so a revocation in Blip shows at once in these tests.
      LOGIN_KEY_CACHE_SECONDS: '0',
    },
  });
  for (const [bot, ticket] of [
    [LATAM, LATAM_TICKET],
    [CLINIC, CLINIC_TICKET],
  ] as const) {
    const res = await env.webhook(ticket, botAuthorization(bot));
    expect(res.statusCode).toBe(202);
    await env.result(res.body.workflowId as string);
  }
});
afterAll(async () => {
  await env?.close();
});

test('log out everywhere (API) ends every session of the tenant, not the bot key', async () => {
  const a = cookieOf(await login(botAuthorization(LATAM), 'ana@loja.example'));
  const b = cookieOf(await login(botAuthorization(LATAM), 'bruno@loja.example'));
  const other = cookieOf(await login(botAuthorization(CLINIC)));
  expect((await me(a)).statusCode).toBe(200);
  expect((await me(b)).statusCode).toBe(200);

  const revoked = await env.app.inject({
    method: 'POST',
    url: '/v1/session/revoke-all',
    headers: { cookie: a, ...SAME_ORIGIN },
  });
  expect(revoked.statusCode).toBe(200);
  expect(revoked.json()).toEqual({ tenantId: LATAM, revoked: true });

  // Both sessions issued before are refused, however valid their signature and expiry.
  expect((await me(a)).statusCode).toBe(401);
  expect((await me(b)).statusCode).toBe(401);
  const search = await env.app.inject({ method: 'GET', url: '/v1/tickets?name=a', headers: { cookie: b } });
  expect(search.statusCode).toBe(401);
  // Another tenant's sessions are untouched; the key logs in again.
  expect((await me(other)).statusCode).toBe(200);
  expect((await me(cookieOf(await login(botAuthorization(LATAM))))).statusCode).toBe(200);

  const { rows } = await env.db.query(
    `select event, actor from tenant_history where tenant_id = $1 and event = 'sessions-revoked'`,
    [LATAM],
  );
  expect(rows).toEqual([{ event: 'sessions-revoked', actor: 'ana@loja.example (claimed)' }]);
});

test('log out everywhere (CLI: tenants logout-all) ends the sessions too, and is recorded', async () => {
  const cookie = cookieOf(await login(botAuthorization(LATAM)));
  expect((await me(cookie)).statusCode).toBe(200);
  const cli = cliFor(env);
  const out = await cli('tenants', 'logout-all', LATAM, '--json');
  expect(out.code).toBe(0);
  expect(out.json()).toMatchObject({ tenantId: LATAM, revoked: true });
  expect((await me(cookie)).statusCode).toBe(401);
  const history = await cli('tenants', 'history', LATAM, '--json');
  expect(history.json().events[0]).toMatchObject({ event: 'sessions-revoked', actor: 'cli:test' });
  expect((await cli('tenants', 'logout-all', 'no-such-bot')).code).toBe(2);
});

test('the user name typed at login is labelled as claimed in the session and the audit log', async () => {
  const res = await login(botAuthorization(LATAM), 'diretor@loja.example');
  expect(res.json().actor).toBe('diretor@loja.example (claimed)');
  const cookie = cookieOf(res);
  expect(
    (await env.app.inject({ method: 'GET', url: `/v1/tickets/${LATAM_TICKET}`, headers: { cookie } }))
      .statusCode,
  ).toBe(200);
  const { rows } = await env.db.query(
    `select actor from audit_log where tenant_id = $1 and action = 'ticket.view' order by id desc limit 1`,
    [LATAM],
  );
  expect(rows[0]).toEqual({ actor: 'diretor@loja.example (claimed)' });
});

test('a bot id with a dot signs in, in upper or lower case', async () => {
  const bot = 'loja.exemplo';
  const secret = 'segredo-da-loja';
  env.sim.store.bots.push({ identifier: bot, identity: `${bot}@msging.net`, secret });
  // As the webhook stores a key Blip accepted.
  const box = createSecretBox(encryptionKey(env.config).key);
  await upsertTenant(env.db, box, {
    tenantId: bot,
    botIdentity: `${bot}@msging.net`,
    authorization: keyOf(bot, secret),
  });

  const res = await login(keyOf(bot, secret), 'gerente@loja.example');
  expect(res.statusCode).toBe(200);
  const session = await me(cookieOf(res));
  expect(session.statusCode).toBe(200);
  expect(session.json()).toMatchObject({ tenantId: bot });

  const upper = await login(keyOf('LOJA.EXEMPLO', secret));
  expect(upper.statusCode).toBe(200);
  expect(upper.json()).toMatchObject({ tenantId: bot });
  expect((await me(cookieOf(upper))).json()).toMatchObject({ tenantId: bot });
});

test('a key revoked in Blip no longer logs in or reads; the new key, once it arrives, ends the old sessions', async () => {
  const oldKey = botAuthorization(CLINIC);
  const before = cookieOf(await login(oldKey));
  expect((await me(before)).statusCode).toBe(200);

  // The owner rotates the key in Blip; the old one is still the stored one here.
  const newKey = env.sim.setBotKey(CLINIC, Buffer.from('chave-nova-2026').toString('base64'));
  const refused = await login(oldKey);
  expect(refused.statusCode).toBe(401);
  expect(refused.json().message).toMatch(/Blip no longer accepts this key of bot clinicavidasana/);
  const keyed = await env.app.inject({
    method: 'GET',
    url: '/v1/tickets?name=a',
    headers: { authorization: oldKey },
  });
  expect(keyed.statusCode).toBe(401);

  // The Builder action brings the new key: checked with Blip, stored, every old session ends.
  const hook = await env.webhook(CLINIC_TICKET, newKey);
  expect(hook.statusCode).toBe(202);
  expect((await me(before)).statusCode).toBe(401);
  expect((await me(cookieOf(await login(newKey)))).statusCode).toBe(200);

  const history = await env.db.query(
    `select event, actor from tenant_history where tenant_id = $1 order by id`,
    [CLINIC],
  );
  expect(history.rows.map((r) => r.event)).toEqual(['key-stored', 'key-changed']);
  const audit = await env.db.query(
    `select action, target from audit_log where tenant_id = $1 and action like 'tenant.%' order by id`,
    [CLINIC],
  );
  expect(audit.rows).toEqual([
    { action: 'tenant.key-stored', target: CLINIC },
    { action: 'tenant.key-changed', target: CLINIC },
  ]);
});
