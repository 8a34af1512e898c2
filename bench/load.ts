import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

/**
 * Load generator for the webhook benchmark, run as its own process so it does not share an event
 * loop with the server it measures. Input: one JSON argument; output: one JSON line.
 * Every request carries a fresh ticket id, as distinct closed tickets would.
 */
interface LoadInput {
  url: string;
  auth: string;
  connections: number;
  durationSeconds: number;
  /** Fixed total request rate (req/s) instead of as fast as possible. */
  overallRate?: number;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] as string) as LoadInput;
  const result = await autocannon({
    url: input.url,
    method: 'POST',
    connections: input.connections,
    duration: input.durationSeconds,
    ...(input.overallRate ? { overallRate: input.overallRate } : {}),
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ ticket: randomUUID(), auth: input.auth }) }),
      },
    ],
  });
  const statusCounts: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.statusCodeStats ?? {})) statusCounts[k] = v.count ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      requests: result.requests.total,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statusCounts,
      durationSeconds: result.duration,
    })}\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
