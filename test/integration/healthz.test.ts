import { createApiClients } from '../../api/deps';
import { buildServer } from '../../api/server';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { stackEnv } from '../../tools/harness/stack-env';

const logger = createLogger('silent', 'test');

test('GET /healthz is 200 with Temporal, Postgres, Typesense and storage all answering', async () => {
  const clients = await createApiClients(loadConfig({ ...stackEnv(), NODE_ENV: 'test' }));
  const app = await buildServer({ logger, healthChecks: clients.healthChecks });
  try {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.ok).toBe(true);
    expect(Object.keys(body.dependencies).sort()).toEqual(['postgres', 'storage', 'temporal', 'typesense']);
    for (const dep of Object.values(body.dependencies) as { ok: boolean; latencyMs: number }[]) {
      expect(dep.ok).toBe(true);
      expect(dep.latencyMs).toBeGreaterThanOrEqual(0);
    }
  } finally {
    await app.close();
    await clients.close();
  }
});

test('GET /healthz is 503 and names the dependency that does not answer', async () => {
  // Nothing listens on port 9 (discard) on loopback here: Typesense "down".
  const clients = await createApiClients(
    loadConfig({ ...stackEnv(), TYPESENSE_URL: 'http://127.0.0.1:9', TYPESENSE_NODES: '', NODE_ENV: 'test' }),
  );
  const app = await buildServer({ logger, healthChecks: clients.healthChecks });
  try {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.ok).toBe(false);
    expect(body.dependencies.typesense.ok).toBe(false);
    expect(body.dependencies.typesense.error).toEqual(expect.any(String));
    expect(body.dependencies.postgres.ok).toBe(true);
  } finally {
    await app.close();
    await clients.close();
  }
});
