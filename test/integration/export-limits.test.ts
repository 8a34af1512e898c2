import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { webSurfaceOf } from '../../api/plugins/origin-check';
import { buildServer } from '../../api/server';
import { createAppOptions } from '../../api/services/app-options';
import { loadConfig, secretsOf } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import { createLogger } from '../../lib/logger';
import { exportWorkflowId } from '../../lib/temporal/contract';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';

/**
 * Export limits as an abuser would test them (issue 13): one tenant starting export after export
 * to tie up every worker, or one export of a huge contact history. The limited API below starts
 * its exports on a task queue nobody serves, so they stay running as long as the test needs.
 */

let env: ArchiveEnv;
let limited: FastifyInstance;
const LATAM = 'atendimentolatam';
const LATAM_TICKET = 'b598352e-77f5-546c-a017-5ec108ed50ba'; // 18 messages
const started: string[] = [];

beforeAll(async () => {
  const keys = {
    ARCHIVE_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
  };
  env = await startArchiveEnv({ env: keys });
  const res = await env.webhook(LATAM_TICKET, botAuthorization(LATAM));
  expect(res.statusCode).toBe(202);
  await env.result(res.body.workflowId as string);
  const config = loadConfig({
    ...env.workerEnv,
    TEMPORAL_TASK_QUEUE: `${env.config.TEMPORAL_TASK_QUEUE}-unserved`,
    EXPORT_MAX_CONCURRENT_PER_TENANT: '2',
  });
  const secrets = secretsOf(config);
  limited = await buildServer({
    logger: createLogger('silent', 'test'),
    healthChecks: {},
    webSurface: webSurfaceOf(config),
    ...createAppOptions(config, {
      db: env.db,
      box: createSecretBox(secrets.encryptionKeys[0] as Buffer),
      sessionKeys: secrets.sessionKeys,
      search: env.search,
      collections: env.collections,
      store: env.store,
      temporal: env.temporal,
    }),
  });
});
afterAll(async () => {
  for (const id of started)
    await env.temporal.workflow
      .getHandle(exportWorkflowId(LATAM, id))
      .terminate('test over')
      .catch(() => undefined);
  await limited?.close();
  await env?.close();
});

const startExport = (url: string, payload?: unknown) =>
  limited.inject({
    method: 'POST',
    url,
    headers: {
      authorization: botAuthorization(LATAM),
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

test('a tenant cannot run more exports at once than EXPORT_MAX_CONCURRENT_PER_TENANT', async () => {
  // Started together: the limit holds under concurrency, not only one after the other.
  const results = await Promise.all(
    Array.from({ length: 5 }, () => startExport(`/v1/tickets/${LATAM_TICKET}/exports`)),
  );
  const codes = results.map((r) => r.statusCode).sort();
  for (const r of results) if (r.statusCode === 202) started.push(r.json().exportId);
  expect(codes).toEqual([202, 202, 429, 429, 429]);
  const refused = results.find((r) => r.statusCode === 429);
  expect(refused?.json()).toMatchObject({ error: 'rate_limited' });
  expect(refused?.json().message).toMatch(/EXPORT_MAX_CONCURRENT_PER_TENANT=2/);
  const { rows } = await env.db.query(`select count(*)::int as n from exports where status = 'running'`);
  expect(rows[0].n).toBe(2);
});

test('an export larger than EXPORT_MAX_MESSAGES is refused with 422 naming the limit', async () => {
  const contact = (
    await env.db.query('select customer_identity from tickets where ticket_id = $1', [LATAM_TICKET])
  ).rows[0].customer_identity as string;
  const before = (await env.db.query('select count(*)::int as n from exports')).rows[0].n;
  // An API whose cap (10) is below the ticket's 18 messages, for a ticket and a contact export.
  const capped = await buildServer({
    logger: createLogger('silent', 'test'),
    healthChecks: {},
    ...createAppOptions(loadConfig({ ...env.workerEnv, EXPORT_MAX_MESSAGES: '10' }), {
      db: env.db,
      box: createSecretBox(secretsOf(env.config).encryptionKeys[0] as Buffer),
      sessionKeys: secretsOf(env.config).sessionKeys,
      search: env.search,
      collections: env.collections,
      store: env.store,
      temporal: env.temporal,
    }),
  });
  try {
    for (const [url, payload] of [
      [`/v1/tickets/${LATAM_TICKET}/exports`, undefined],
      [`/v1/contacts/${encodeURIComponent(contact)}/exports`, {}],
    ] as const) {
      const res = await capped.inject({
        method: 'POST',
        url,
        headers: {
          authorization: botAuthorization(LATAM),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
      expect([url, res.statusCode]).toEqual([url, 422]);
      expect(res.json()).toMatchObject({ error: 'export_too_large' });
      expect(res.json().message).toMatch(/has 18 messages.*EXPORT_MAX_MESSAGES=10/);
    }
  } finally {
    await capped.close();
  }
  // Nothing was started for the refused exports.
  expect((await env.db.query('select count(*)::int as n from exports')).rows[0].n).toBe(before);
});
