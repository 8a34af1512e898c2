import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { closedLoop } from './lib/closed-loop';
import { summarize } from './lib/stats';

/**
 * Load generator for the webhook benchmark, run as its own process so it does not share an event
 * loop with the server it measures. Input: one JSON argument; output: one JSON line.
 * Every request carries a fresh ticket id, as distinct closed tickets would.
 *
 * Closed loop (N connections, each sending its next request when the last is answered): our own
 * undici loop timed with the monotonic clock in fractions of a millisecond, as the bare-start
 * baseline is (autocannon's histogram keeps whole milliseconds: at one connection, where a start
 * takes 4–7 ms, that rounding alone moved the ratio by up to 25 %). Fixed rate (`overallRate`):
 * autocannon, which paces requests independently of the answers.
 */
interface LoadInput {
  url: string;
  auth: string;
  connections: number;
  durationSeconds: number;
  /** Fixed total request rate (req/s) instead of as fast as possible. */
  overallRate?: number;
}

/** One load run's figures, as the benchmark reads them from this process's output. */
export interface LoadOutput {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  durationSeconds: number;
}

const body = (auth: string) => JSON.stringify({ ticket: randomUUID(), auth });

async function closedLoopLoad(input: LoadInput): Promise<LoadOutput> {
  const url = new URL(input.url);
  const pool = new Pool(url.origin, { connections: input.connections, pipelining: 1 });
  const statusCounts: Record<string, number> = {};
  let non2xx = 0;
  try {
    const run = await closedLoop(input.connections, input.durationSeconds, async () => {
      const res = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(input.auth),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      await res.body.dump();
      statusCounts[res.statusCode] = (statusCounts[res.statusCode] ?? 0) + 1;
      if (res.statusCode < 200 || res.statusCode > 299) non2xx++;
    });
    const s = summarize(run.latencies);
    return {
      requests: run.latencies.length,
      rps: run.latencies.length / run.seconds,
      p50: s.p50,
      p99: s.p99,
      max: s.max,
      errors: run.errors,
      timeouts: 0,
      non2xx,
      statusCounts,
      durationSeconds: run.seconds,
    };
  } finally {
    await pool.close();
  }
}

async function fixedRate(input: LoadInput): Promise<LoadOutput> {
  const result = await autocannon({
    url: input.url,
    method: 'POST',
    connections: input.connections,
    duration: input.durationSeconds,
    overallRate: input.overallRate,
    headers: { 'content-type': 'application/json' },
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: body(input.auth) }) }],
  });
  const statusCounts: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.statusCodeStats ?? {})) statusCounts[k] = v.count ?? 0;
  return {
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
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] as string) as LoadInput;
  const result = input.overallRate ? await fixedRate(input) : await closedLoopLoad(input);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
