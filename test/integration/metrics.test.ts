import type { AddressInfo } from 'node:net';
import { createMetrics } from '../../lib/metrics';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import { botAuthorization } from '../../tools/harness/blip-fixtures';
import { serveMetrics } from '../../worker/metrics-server';

/** What an operator's Prometheus scrapes after real archives, webhooks and searches. */

let env: ArchiveEnv;
const LATAM = 'atendimentolatam';

beforeAll(async () => {
  env = await startArchiveEnv();
});
afterAll(async () => {
  await env?.close();
});

/** The value of one sample line `name{labels} value`, or 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) return Number(line.split(' ').pop());
  }
  return 0;
}

test('/metrics after an archive: webhooks by outcome, archives sealed and indexed, media bytes, request and search latency', async () => {
  const ticket = 'e3b7acca-a3f2-537a-a08c-b490a42bcf67';
  const answer = await env.webhook(ticket, botAuthorization(LATAM));
  await env.result(answer.body.workflowId as string);
  await env.webhook(ticket, botAuthorization(LATAM)); // archived
  await env.webhook('not-a-ticket', botAuthorization(LATAM)); // 400
  await env.app.inject({
    method: 'GET',
    url: '/v1/tickets?name=jose',
    headers: { authorization: botAuthorization(LATAM) },
  });

  const res = await env.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  const text = res.body;
  expect(sample(text, 'ticketvault_webhooks_total', { outcome: 'started' })).toBe(1);
  expect(sample(text, 'ticketvault_webhooks_total', { outcome: 'archived' })).toBe(1);
  expect(sample(text, 'ticketvault_webhooks_total', { outcome: '400' })).toBe(1);
  expect(sample(text, 'ticketvault_archives_total', { tenant: LATAM, event: 'sealed' })).toBe(1);
  expect(sample(text, 'ticketvault_archives_total', { tenant: LATAM, event: 'indexed' })).toBe(1);
  expect(
    sample(text, 'ticketvault_media_total', { tenant: LATAM, outcome: 'stored' }),
  ).toBeGreaterThanOrEqual(3);
  expect(sample(text, 'ticketvault_media_bytes_total', { tenant: LATAM })).toBeGreaterThan(1000);
  expect(
    sample(text, 'ticketvault_http_request_duration_seconds_count', {
      route: '/v1/tickethistory',
      status: '202',
    }),
  ).toBe(2);
  expect(sample(text, 'ticketvault_search_duration_seconds_count', {})).toBe(1);
  // Labels are route patterns and tenants: nothing from a request body or a concrete id.
  expect(text).not.toContain(ticket);
  expect(text).not.toContain('not-a-ticket');
});

test('a non-retryable failure is counted as a failed archive', async () => {
  const answer = await env.webhook('00000000-0000-4000-8000-000000000001', botAuthorization(LATAM));
  await expect(env.result(answer.body.workflowId as string)).rejects.toThrow();
  const text = (await env.app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(sample(text, 'ticketvault_archives_total', { tenant: LATAM, event: 'failed' })).toBe(1);
});

test("the worker's own /metrics endpoint serves its registry", async () => {
  const metrics = createMetrics('worker');
  metrics.mediaBytes.inc({ tenant: 't1' }, 42);
  const server = await serveMetrics(metrics, '127.0.0.1', 0);
  try {
    const { port } = server.address() as AddressInfo;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(sample(text, 'ticketvault_media_bytes_total', { tenant: 't1', process: 'worker' })).toBe(42);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  } finally {
    server.close();
  }
});
