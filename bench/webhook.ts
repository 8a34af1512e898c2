import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { repoRoot } from '../infra/paths';
import { startOrJoinArchive } from '../lib/temporal/archive-starter';
import { archiveWorkflowId } from '../lib/temporal/contract';
import { startArchiveEnv } from '../tools/harness/archive-env';
import { botAuthorization } from '../tools/harness/blip-fixtures';
import { closedLoop } from './lib/closed-loop';
import { ProcSampler } from './lib/proc';
import type { BenchContext, BenchResult, Cell } from './lib/report';
import { serviceGroups } from './lib/stack';
import { ratio, round, summarize } from './lib/stats';
import type { LoadOutput as LoadResult } from './load';

/**
 * 1. Webhook: POST /v1/tickethistory for distinct tickets (bench/load.ts in its own process), at
 * increasing concurrency and at a fixed 200 req/s. Baselines in the same run: a bare
 * loop of the webhook's own start call against the same Temporal (the floor), and a Fastify route that
 * answers 202 without starting anything (the HTTP ceiling). No worker runs: this is the
 * webhook's own cost, and the started workflows simply wait on an unserved task queue.
 */
const LATAM = 'atendimentolatam';
const run = promisify(execFile);

async function load(
  url: string,
  connections: number,
  durationSeconds: number,
  overallRate?: number,
): Promise<LoadResult> {
  const input = { url, auth: botAuthorization(LATAM), connections, durationSeconds, overallRate };
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bench/load.ts', JSON.stringify(input)],
    {
      cwd: repoRoot,
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as LoadResult;
}

export async function webhookBench(ctx: BenchContext): Promise<BenchResult> {
  const full = ctx.scale === 'full';
  const seconds = full ? 30 : 4;
  const levels = full ? [1, 10, 50, 100, 200] : [1, 10, 50];
  const env = await startArchiveEnv({
    worker: false,
    env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'silent' },
  });
  const noop = Fastify({ logger: false });
  const rows: Cell[][] = [];
  const data: Record<string, unknown> = {};
  try {
    // Admit the tenant once (the first webhook of a bot checks its key with Blip).
    const first = await env.webhook(randomUUID(), botAuthorization(LATAM));
    if (first.statusCode !== 202) throw new Error(`webhook answered ${first.statusCode}`);
    const address = await env.app.listen({ port: 0, host: '127.0.0.1' });
    const webhookUrl = `${address}/v1/tickethistory`;

    noop.post(
      '/v1/tickethistory',
      {
        schema: {
          body: {
            type: 'object',
            required: ['ticket', 'auth'],
            properties: {
              ticket: { type: 'string', maxLength: 64 },
              auth: { type: 'string', maxLength: 1024 },
            },
          },
        },
      },
      async (req, reply) => {
        const { ticket } = req.body as { ticket: string };
        return reply.code(202).send({ workflowId: archiveWorkflowId(LATAM, ticket), status: 'started' });
      },
    );
    const noopUrl = `${await noop.listen({ port: 0, host: '127.0.0.1' })}/v1/tickethistory`;

    /**
     * N loops calling the webhook's own start (lib/temporal/archive-starter.ts: the same workflow,
     * arguments, search attributes and memo) back to back for `seconds`: the webhook minus HTTP,
     * admission and the Postgres check.
     */
    const bareStart = async (concurrency: number) => {
      const run = await closedLoop(concurrency, seconds, async () => {
        await startOrJoinArchive(env.temporal, env.config.TEMPORAL_TASK_QUEUE, LATAM, randomUUID());
      });
      const s = summarize(run.latencies);
      return { rps: run.latencies.length / run.seconds, p50: s.p50, p99: s.p99, errors: run.errors };
    };

    const sampler = () =>
      new ProcSampler({
        api: () => [process.pid],
        temporal: serviceGroups.temporal,
        postgres: serviceGroups.postgres,
      });
    for (const c of levels) {
      ctx.log(`webhook: ${c} connections, ${seconds} s each for webhook, bare start, no-op route`);
      const procs = sampler();
      procs.start();
      const w = await load(webhookUrl, c, seconds);
      const cpu = procs.stop();
      const bare = await bareStart(c);
      const n = await load(noopUrl, c, seconds);
      const errors = w.errors + w.timeouts + w.non2xx;
      rows.push([
        String(c),
        round(w.rps),
        round(w.p50, 1),
        round(w.p99, 1),
        errors,
        round(bare.rps),
        round(bare.p50, 1),
        round(bare.p99, 1),
        round(n.rps),
        round(n.p50, 1),
        ratio(w.p50, bare.p50),
        ratio(w.rps, n.rps),
        `${round(cpu.api?.cpuPercent ?? 0, 0)}/${round(cpu.temporal?.cpuPercent ?? 0, 0)}/${round(cpu.postgres?.cpuPercent ?? 0, 0)}`,
      ]);
      data[`c${c}`] = { webhook: w, bareStart: bare, noopRoute: n, cpu };
    }
    ctx.log(`webhook: fixed 200 req/s over 20 connections, ${seconds} s`);
    const fixed = await load(webhookUrl, 20, seconds, 200);
    const bareFixed = await bareStart(20);
    rows.push([
      '20 @200/s',
      round(fixed.rps),
      fixed.p50,
      fixed.p99,
      fixed.errors + fixed.timeouts + fixed.non2xx,
      round(bareFixed.rps),
      round(bareFixed.p50, 1),
      round(bareFixed.p99, 1),
      null,
      null,
      ratio(fixed.p50, bareFixed.p50),
      null,
      null,
    ]);
    data.fixed200 = { webhook: fixed, bareStart: bareFixed };
  } finally {
    await noop.close();
    await env.close();
  }
  return {
    name: 'webhook',
    tables: [
      {
        title: 'Webhook POST /v1/tickethistory (distinct tickets; latency ms)',
        columns: [
          'conns',
          'req/s',
          'p50',
          'p99',
          'errors',
          'bare start/s',
          'bare p50',
          'bare p99',
          'no-op req/s',
          'no-op p50',
          'p50 ÷ bare',
          'req/s ÷ no-op',
          'CPU% api/temporal/pg',
        ],
        rows,
      },
    ],
    notes: [],
    data,
  };
}
