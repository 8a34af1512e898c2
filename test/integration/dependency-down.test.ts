import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { buildServer } from '../../api/server';
import { createWebhookOptions } from '../../api/services/webhook';
import { createSecretBox } from '../../lib/crypto';
import { createPool } from '../../lib/db/pool';
import { createLogger } from '../../lib/logger';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { stackEnv } from '../../tools/harness/stack-env';

/** A backing service that is down (here Postgres) is a 503 "retry", never a 500. */
test('the webhook answers 503 with a retry hint while Postgres is unreachable', async () => {
  // Nothing listens on port 9 (discard) on loopback: Postgres "down".
  const db = createPool('postgres://nobody@127.0.0.1:9/none', 1);
  const connection = await Connection.connect({ address: stackEnv().TEMPORAL_ADDRESS });
  const app = await buildServer({
    logger: createLogger('silent', 'test'),
    healthChecks: {},
    webhook: createWebhookOptions({
      db,
      box: createSecretBox(createHash('sha256').update('k').digest()),
      temporal: new Client({ connection }),
      taskQueue: 'unused',
      defaultCommandsUrl: 'http://127.0.0.1:9/commands',
      allowedBots: [],
      blipTimeoutMs: 1000,
      bodyLimit: 4096,
      rateLimit: { max: 100, timeWindowMs: 60_000 },
    }),
  });
  try {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tickethistory',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        ticket: 'b598352e-77f5-546c-a017-5ec108ed50ba',
        auth: botAuthorization('atendimentolatam'),
      }),
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({ error: 'unavailable', message: expect.stringMatching(/retry/) });
  } finally {
    await app.close();
    await db.end();
    await connection.close();
  }
});
