import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildServer } from '../../api/server';
import { createWebhookOptions } from '../../api/services/webhook';
import { repoRoot } from '../../infra/paths';
import type { LocalService } from '../../infra/services/service';
import { loadStackConfig } from '../../infra/stack-config';
import { stackServices } from '../../infra/stack-control';
import { encryptionKey } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import { createLogger } from '../../lib/logger';
import { seededRandom } from '../../tools/blip-sim/rng';
import { type ArchiveEnv, startArchiveEnv } from '../support/archive-env';
import { botAuthorization } from '../support/blip-fixtures';
import { type ExpectedTicket, generateTickets, runIdFor } from './tickets';
import { type VerifyReport, verifyArchive } from './verify';

/**
 * One chaos run: N generated tickets archived from the simulator through the real webhook (an
 * API listening on a port) and real worker child processes, while a seeded schedule injects Blip
 * faults, SIGKILLs workers, restarts Postgres, Typesense, the GCS emulator and the API, and sends
 * duplicate webhooks. Then the stores are audited (verify.ts).
 *
 * Every service restarted is started again before the run returns, even when it fails.
 */

export type FaultKind =
  | 'blip-5xx'
  | 'blip-429'
  | 'blip-504'
  | 'blip-latency'
  | 'blip-drop'
  | 'blip-truncated-media'
  | 'blip-expired-link'
  | 'worker-sigkill'
  | 'postgres-restart'
  | 'typesense-restart'
  | 'gcs-restart'
  | 'api-restart'
  | 'duplicate-webhook';

export interface ChaosOptions {
  tickets: number;
  seed: number;
  /** Whole run, generation to audit. */
  deadlineMs: number;
  /** Faults are scheduled within this window after the first webhook. */
  windowMs: number;
  workers?: number;
  /** Worker kills and service restarts in the window (each kind at least once). */
  processFaults?: number;
  maxMediaMb?: number;
  log?: (line: string) => void;
  /**
   * The Typesense to restart (and archive into) instead of the stack's: `npm test` passes a
   * dedicated one so the shared server is never restarted.
   */
  typesense?: { service: LocalService; url: string };
}

export interface ChaosReport {
  seed: number;
  tickets: number;
  kinds: Record<string, number>;
  faults: Record<FaultKind, number>;
  webhooks: { sent: number; answers: Record<string, number> };
  retries: { activityRetries: number; activitiesRetried: number; blipRequests: number };
  drainMs: number;
  totalMs: number;
  verify: VerifyReport;
  lost: number;
  duplicated: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
}

function killGroup(w: WorkerProcess): void {
  try {
    if (w.child.pid) process.kill(-w.child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

export class ChaosDeadlineError extends Error {
  override name = 'ChaosDeadlineError';
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((l: string) => console.log(l));
  const t0 = Date.now();
  const deadline = t0 + options.deadlineMs;
  const rnd = seededRandom(options.seed);
  const faults = Object.fromEntries(
    (
      [
        'blip-5xx',
        'blip-429',
        'blip-504',
        'blip-latency',
        'blip-drop',
        'blip-truncated-media',
        'blip-expired-link',
        'worker-sigkill',
        'postgres-restart',
        'typesense-restart',
        'gcs-restart',
        'api-restart',
        'duplicate-webhook',
      ] as FaultKind[]
    ).map((k) => [k, 0]),
  ) as Record<FaultKind, number>;
  const stack = loadStackConfig();
  const services: Record<string, LocalService> = Object.fromEntries(
    stackServices(stack).map((s) => [s.name, s]),
  );
  if (options.typesense) services.typesense = options.typesense.service;
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-chaos-'));
  let env: ArchiveEnv | null = null;
  const workers: WorkerProcess[] = [];
  let app: FastifyInstance | null = null;
  let stopping = false;

  const left = () => deadline - Date.now();
  const checkDeadline = (what: string) => {
    if (Date.now() > deadline)
      throw new ChaosDeadlineError(
        `chaos: global deadline of ${Math.round(options.deadlineMs / 1000)} s exceeded while ${what}`,
      );
  };

  try {
    env = await startArchiveEnv({
      worker: false,
      env: {
        BLIP_TIMEOUT_MS: '5000',
        LOG_LEVEL: 'silent',
        MEDIA_MAX_BYTES: String(64 * 1024 * 1024),
        // The run injects media faults at ~12 % a request and kills workers mid-download (each kill
        // spends an attempt): a generous budget keeps "nothing lost" about transient faults, while
        // test/integration/media-budget.test.ts covers links that never recover.
        MEDIA_MAX_ATTEMPTS: '25',
        WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000',
        ...(options.typesense ? { TYPESENSE_URL: options.typesense.url } : {}),
      },
    });
    const archive = env;
    const runId = runIdFor(options.seed);
    const tickets = await generateTickets(archive.sim, rnd, options.tickets, {
      runId,
      maxMediaMb: options.maxMediaMb,
    });
    const kinds: Record<string, number> = {};
    for (const t of tickets) kinds[t.kind] = (kinds[t.kind] ?? 0) + 1;
    log(`chaos: seed ${options.seed}, ${tickets.length} tickets ${JSON.stringify(kinds)}`);

    // ── the API, listening for real; a restart closes and rebuilds the Fastify app ──
    const box = createSecretBox(encryptionKey(archive.config).key);
    let apiPort = 0;
    const startApi = async () => {
      const next = await buildServer({
        logger: createLogger('silent', 'chaos-api'),
        healthChecks: {},
        webhook: createWebhookOptions({
          db: archive.db,
          box,
          temporal: archive.temporal,
          taskQueue: archive.config.TEMPORAL_TASK_QUEUE,
          defaultCommandsUrl: archive.config.BLIP_API_URL,
          allowedBots: [],
          blipTimeoutMs: archive.config.BLIP_TIMEOUT_MS,
          bodyLimit: archive.config.WEBHOOK_BODY_LIMIT,
          rateLimit: { max: archive.config.WEBHOOK_RATE_LIMIT_PER_MINUTE, timeWindowMs: 60_000 },
          keyCacheTtlMs: archive.config.WEBHOOK_KEY_CACHE_SECONDS * 1000,
        }),
      });
      await next.listen({ port: apiPort, host: '127.0.0.1' });
      apiPort = (next.server.address() as { port: number }).port;
      app = next;
    };
    await startApi();

    // ── worker child processes, restarted by a supervisor loop when they die ──
    const startWorker = (name: string): WorkerProcess => {
      const tmpdir = fs.mkdtempSync(path.join(tmpRoot, `${name}-`));
      const child = spawn(path.join(repoRoot, 'node_modules/.bin/tsx'), ['worker/main.ts'], {
        cwd: repoRoot,
        env: { ...process.env, ...archive.workerEnv, LOG_LEVEL: 'info', TMPDIR: tmpdir },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const w: WorkerProcess = {
        name,
        child,
        output: '',
        exited: new Promise((resolve) => child.once('exit', () => resolve())),
      };
      const keep = (d: Buffer) => {
        w.output = (w.output + d.toString('utf8')).slice(-20_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      return w;
    };
    const slots = options.workers ?? 2;
    let generation = 0;
    for (let i = 0; i < slots; i++) workers[i] = startWorker(`w${i}-${generation++}`);
    const supervisor = (async () => {
      while (!stopping) {
        for (let i = 0; i < slots; i++) {
          const w = workers[i] as WorkerProcess;
          if (w.child.exitCode !== null || w.child.signalCode !== null) {
            if (!w.output.includes('worker started') && w.child.signalCode === null)
              log(
                `chaos: worker ${w.name} exited before starting (restarting): ${w.output.trim().split('\n').pop()}`,
              );
            workers[i] = startWorker(`w${i}-${generation++}`);
          }
        }
        await sleep(500);
      }
    })();
    // Wait for the first workers so the timeline measures the archive, not tsx start-up.
    for (const w of workers) {
      while (!w.output.includes('worker started')) {
        checkDeadline('waiting for the workers to start');
        if (w.child.exitCode !== null) throw new Error(`worker exited at start:\n${w.output}`);
        await sleep(100);
      }
    }

    // ── Blip faults: background rates (seeded) plus queued bursts of every kind ──
    archive.sim.faults.configure({
      seed: options.seed,
      errorRate: 0.03,
      rateLimitRate: 0.02,
      retryAfterSeconds: 1,
      gatewayTimeoutRate: 0.01,
      dropRate: 0.01,
      truncateMediaRate: 0.05,
      latencyMs: 0,
      mediaErrors: true,
    });

    // One of each Blip fault kind queued from the start, so even a small run meets them all.
    archive.sim.faults.enqueue(
      { kind: 'truncate', count: 2 },
      { kind: 'error', status: 503, count: 1 },
      { kind: 'rate-limit', retryAfterSeconds: 1, count: 1 },
      { kind: 'gateway-timeout', count: 1 },
      { kind: 'drop', count: 1 },
      { kind: 'expired-link', count: 1 },
    );

    // ── webhooks: at-least-once delivery, with duplicates ──
    const answers: Record<string, number> = {};
    let sent = 0;
    const tally = (k: string) => {
      answers[k] = (answers[k] ?? 0) + 1;
    };
    const workflowIds = new Map<string, string>();
    const deliver = async (t: ExpectedTicket) => {
      for (let attempt = 0; ; attempt++) {
        checkDeadline(`delivering the webhook of ${t.id}`);
        sent++;
        try {
          const res = await request(`http://127.0.0.1:${apiPort}/v1/tickethistory`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ticket: t.id, auth: botAuthorization(t.bot) }),
            headersTimeout: 15_000,
            bodyTimeout: 15_000,
          });
          const body = (await res.body.json().catch(() => ({}))) as { workflowId?: string };
          tally(String(res.statusCode));
          if (res.statusCode === 202 && body.workflowId) {
            workflowIds.set(t.id, body.workflowId);
            return;
          }
          if (res.statusCode < 500 && res.statusCode !== 429)
            throw new Error(`webhook for ${t.id} answered ${res.statusCode}: ${JSON.stringify(body)}`);
        } catch (err) {
          if ((err as Error).message.startsWith('webhook for')) throw err;
          tally(`conn:${(err as { code?: string }).code ?? 'error'}`);
        }
        await sleep(Math.min(200 * 2 ** attempt, 2_000));
      }
    };
    const duplicateTickets = new Set(tickets.filter(() => rnd() < 0.3).map((t) => t.id));
    const spread = Math.min(options.windowMs * 0.6, tickets.length * 150);
    const sendStart = Date.now();
    const deliveries: Promise<void>[] = [];
    for (const t of tickets) {
      const at = rnd() * spread;
      const copies = duplicateTickets.has(t.id) ? 2 + Math.floor(rnd() * 3) : 1;
      const later = rnd() * options.windowMs;
      deliveries.push(
        (async () => {
          await sleep(at);
          const first = [deliver(t)];
          // Some copies concurrently (a Blip retry racing the first), some much later.
          for (let c = 1; c < copies; c++) {
            faults['duplicate-webhook']++;
            first.push(c % 2 === 1 ? deliver(t) : sleep(later).then(() => deliver(t)));
          }
          await Promise.all(first);
        })(),
      );
    }

    // ── the fault schedule ──
    type Event = { at: number; kind: string };
    const processKinds = [
      'worker-sigkill',
      'postgres-restart',
      'typesense-restart',
      'gcs-restart',
      'api-restart',
    ];
    const extra = Math.max(0, (options.processFaults ?? processKinds.length + 1) - processKinds.length);
    const events: Event[] = [
      ...processKinds.map((kind) => ({ kind, at: 0 })),
      ...Array.from({ length: extra }, () => ({
        kind: processKinds[Math.floor(rnd() * processKinds.length)] as string,
        at: 0,
      })),
      ...[
        'blip-5xx',
        'blip-429',
        'blip-504',
        'blip-latency',
        'blip-drop',
        'blip-truncated-media',
        'blip-expired-link',
      ].flatMap((kind) => [
        { kind, at: 0 },
        { kind, at: 0 },
      ]),
    ];
    for (const e of events) e.at = 1_000 + rnd() * (options.windowMs - 1_000);
    events.sort((a, b) => a.at - b.at);
    // Process faults never overlap: a restart waits for the previous one to finish.
    let processChain: Promise<void> = Promise.resolve();
    const restartService = async (name: string, kind: FaultKind) => {
      const service = services[name];
      if (!service) throw new Error(`no service ${name}`);
      log(`chaos: +${((Date.now() - sendStart) / 1000).toFixed(1)}s ${kind}`);
      faults[kind]++;
      await service.stop();
      await sleep(500 + rnd() * 2_000);
      await service.start();
    };
    const inject = async (kind: string) => {
      const sim = archive.sim.faults;
      const n = 1 + Math.floor(rnd() * 3);
      switch (kind) {
        case 'blip-5xx':
          sim.enqueue({ kind: 'error', status: rnd() < 0.5 ? 500 : 503, count: n });
          sim.enqueue({ kind: 'error', status: 502, count: 1, target: 'media' });
          return;
        case 'blip-429':
          sim.enqueue({ kind: 'rate-limit', retryAfterSeconds: 1, count: n });
          return;
        case 'blip-504':
          sim.enqueue({ kind: 'gateway-timeout', count: n });
          return;
        case 'blip-latency':
          faults['blip-latency'] += n + 1;
          sim.enqueue({ kind: 'latency', latencyMs: 1_500, count: n });
          sim.enqueue({ kind: 'latency', latencyMs: 1_500, count: 1, target: 'media' });
          return;
        case 'blip-drop':
          sim.enqueue({ kind: 'drop', count: n });
          sim.enqueue({ kind: 'drop', count: 1, target: 'media' });
          return;
        case 'blip-truncated-media':
          sim.enqueue({ kind: 'truncate', count: n });
          return;
        case 'blip-expired-link':
          // The next refreshes hand out links that have already expired.
          sim.enqueue({ kind: 'expired-link', count: n });
          return;
      }
      processChain = processChain.then(async () => {
        switch (kind) {
          case 'worker-sigkill': {
            const i = Math.floor(rnd() * slots);
            const w = workers[i] as WorkerProcess;
            log(`chaos: +${((Date.now() - sendStart) / 1000).toFixed(1)}s worker-sigkill ${w.name}`);
            faults['worker-sigkill']++;
            killGroup(w);
            await w.exited;
            return; // the supervisor starts a new one
          }
          case 'postgres-restart':
            return restartService('postgres', 'postgres-restart');
          case 'typesense-restart':
            return restartService('typesense', 'typesense-restart');
          case 'gcs-restart':
            return restartService('gcs', 'gcs-restart');
          case 'api-restart': {
            log(`chaos: +${((Date.now() - sendStart) / 1000).toFixed(1)}s api-restart`);
            faults['api-restart']++;
            const old = app;
            app = null;
            await old?.close();
            await sleep(300 + rnd() * 1_500);
            await startApi();
            return;
          }
        }
      });
      await processChain;
    };
    const schedule = Promise.all(
      events.map(async (e) => {
        await sleep(e.at);
        await inject(e.kind);
      }),
    );

    await Promise.all(deliveries);
    await schedule;
    await processChain;
    archive.sim.faults.reset({ seed: options.seed });
    log(`chaos: all webhooks delivered (${sent} sent) and faults injected; draining`);

    // ── drain: every workflow completes ──
    for (const t of tickets) {
      const id = workflowIds.get(t.id) as string;
      for (;;) {
        checkDeadline(`draining: waiting for ${id}`);
        const handle = archive.temporal.workflow.getHandle(id);
        const status = await handle
          .describe()
          .then((d) => d.status.name)
          .catch(() => 'UNKNOWN');
        if (status === 'COMPLETED') break;
        if (status !== 'RUNNING' && status !== 'UNKNOWN') {
          log(`chaos: workflow ${id} ended ${status}`);
          break;
        }
        await sleep(500);
      }
    }
    const drainMs = Date.now() - sendStart;
    log(`chaos: drained in ${(drainMs / 1000).toFixed(1)} s; auditing the stores`);

    // ── retries, from Temporal histories and the simulator's request log ──
    let activityRetries = 0;
    let activitiesRetried = 0;
    for (const id of new Set(workflowIds.values())) {
      const history = await archive.temporal.workflow.getHandle(id).fetchHistory();
      for (const e of history.events ?? []) {
        const attempt = e.activityTaskStartedEventAttributes?.attempt ?? 1;
        if (attempt > 1) {
          activitiesRetried++;
          activityRetries += attempt - 1;
        }
      }
    }
    const requestLog = archive.sim.requestLog;
    for (const e of requestLog) {
      const f = e.fault ?? '';
      if (/^5\d\d$/.test(f) && f !== '504') faults['blip-5xx']++;
      else if (f === '429') faults['blip-429']++;
      else if (f === '504') faults['blip-504']++;
      else if (f === 'drop' || f === 'hang') faults['blip-drop']++;
      else if (f === 'truncate' || e.outcome === 'truncated') faults['blip-truncated-media']++;
      if (e.kind === 'media' && e.status === 403) faults['blip-expired-link']++;
    }

    checkDeadline('auditing');
    const verify = await verifyArchive({
      db: archive.db,
      store: archive.store,
      search: archive.search,
      collections: archive.collections,
      config: archive.config,
      tickets,
    });
    // Workflows: one archive run per ticket.
    for (const t of tickets) {
      const id = workflowIds.get(t.id) as string;
      let runs = 0;
      for await (const _ of archive.temporal.workflow.list({ query: `WorkflowId = "${id}"` })) runs++;
      if (runs > 1) {
        verify.problems.push({ ticketId: t.id, kind: 'duplicated', what: `${runs} workflow runs` });
        verify.duplicated = new Set(
          verify.problems.filter((p) => p.kind === 'duplicated').map((p) => p.ticketId),
        ).size;
      }
    }
    stopping = true;
    await supervisor;
    return {
      seed: options.seed,
      tickets: tickets.length,
      kinds,
      faults,
      webhooks: { sent, answers },
      retries: { activityRetries, activitiesRetried, blipRequests: requestLog.length },
      drainMs,
      totalMs: Date.now() - t0,
      verify,
      lost: verify.lost,
      duplicated: verify.duplicated,
    };
  } finally {
    stopping = true;
    for (const w of workers) if (w) killGroup(w);
    await Promise.all(workers.map((w) => Promise.race([w?.exited, sleep(5_000)])));
    // Leave every service running, whatever happened.
    for (const s of Object.values(services)) {
      if (!(await s.healthy().catch(() => false)))
        await s.start().catch((err: Error) => log(`chaos: ${s.name}: ${err.message}`));
    }
    await (app as FastifyInstance | null)?.close().catch(() => undefined);
    await env?.close().catch((err: Error) => log(`chaos: cleanup: ${err.message}`));
    fs.rmSync(tmpRoot, { recursive: true, force: true });
    if (left() < 0) log('chaos: finished after the deadline');
  }
}

export function formatReport(r: ChaosReport): string {
  const rows: Array<[string, string]> = [
    ['seed', String(r.seed)],
    [
      'tickets',
      `${r.tickets} (${Object.entries(r.kinds)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    ],
    ['messages checked', String(r.verify.messages)],
    ['media checked', `${r.verify.media} (${(r.verify.mediaBytes / 1024 / 1024).toFixed(1)} MB distinct)`],
    ...Object.entries(r.faults).map(([k, v]): [string, string] => [`fault: ${k}`, String(v)]),
    [
      'webhooks sent',
      `${r.webhooks.sent} (${Object.entries(r.webhooks.answers)
        .map(([k, v]) => `${k}×${v}`)
        .join(', ')})`,
    ],
    ['activity retries', `${r.retries.activityRetries} (${r.retries.activitiesRetried} activities retried)`],
    ['blip requests', String(r.retries.blipRequests)],
    ['time to drain', `${(r.drainMs / 1000).toFixed(1)} s`],
    ['total run time', `${(r.totalMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`);
  const problems = r.verify.problems.slice(0, 20).map((p) => `  ${p.kind} ${p.ticketId}: ${p.what}`);
  return [
    `| ${'what'.padEnd(width)} | value |`,
    `|${'-'.repeat(width + 2)}|-------|`,
    ...lines,
    '',
    ...(problems.length ? ['problems:', ...problems, ''] : []),
    `lost: ${r.lost}`,
    `duplicated: ${r.duplicated}`,
  ].join('\n');
}
