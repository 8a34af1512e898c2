import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server';
import { createWebhookOptions } from '../../api/services/webhook';
import { repoRoot } from '../../infra/paths';
import type { LocalService } from '../../infra/services/service';
import { loadStackConfig } from '../../infra/stack-config';
import { stackServices } from '../../infra/stack-control';
import { encryptionKey } from '../../lib/config';
import { createSecretBox } from '../../lib/crypto';
import { createLogger } from '../../lib/logger';
import type { Random } from '../../tools/blip-sim/rng';
import { type ArchiveEnv, startArchiveEnv } from '../../tools/harness/archive-env';
import type { ChaosOptions } from './run';
import { type ExpectedTicket, generateTickets, runIdFor } from './tickets';

/**
 * Chaos setup: what a run archives through and what the fault schedule hits. The archive
 * environment (simulator, stores), the generated tickets, an API listening for real (restartable)
 * and worker child processes kept alive by a supervisor; `tearDownRig` leaves every service running.
 */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
}

export function killGroup(w: WorkerProcess): void {
  try {
    if (w.child.pid) process.kill(-w.child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

export interface ChaosRig {
  log: (line: string) => void;
  /** The stack's services by name (Typesense replaced by the dedicated one when given). */
  services: Record<string, LocalService>;
  tmpRoot: string;
  env: ArchiveEnv | null;
  app: FastifyInstance | null;
  /** Kept across API restarts: webhooks keep one address. */
  apiPort: number;
  workers: WorkerProcess[];
  slots: number;
  /** Set when the run ends: the supervisor stops restarting workers. */
  stopping: boolean;
  supervisor: Promise<void>;
}

export function createRig(options: ChaosOptions, log: (line: string) => void): ChaosRig {
  const stack = loadStackConfig();
  const services: Record<string, LocalService> = Object.fromEntries(
    stackServices(stack).map((s) => [s.name, s]),
  );
  if (options.typesense) services.typesense = options.typesense.service;
  return {
    log,
    services,
    tmpRoot: fs.mkdtempSync(path.join(os.tmpdir(), 'tv-chaos-')),
    env: null,
    app: null,
    apiPort: 0,
    workers: [],
    slots: options.workers ?? 2,
    stopping: false,
    supervisor: Promise.resolve(),
  };
}

/** The archive environment (without an in-process worker) and the seeded tickets in its simulator. */
export async function startArchiveWithTickets(
  rig: ChaosRig,
  options: ChaosOptions,
  rnd: Random,
): Promise<{ archive: ArchiveEnv; tickets: ExpectedTicket[]; kinds: Record<string, number> }> {
  rig.env = await startArchiveEnv({
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
      // Only the dedicated node (TYPESENSE_NODES, set when the stack runs a cluster, would win over the URL).
      ...(options.typesense ? { TYPESENSE_URL: options.typesense.url, TYPESENSE_NODES: '' } : {}),
    },
  });
  const archive = rig.env;
  const runId = runIdFor(options.seed);
  const tickets = await generateTickets(archive.sim, rnd, options.tickets, {
    runId,
    maxMediaMb: options.maxMediaMb,
  });
  const kinds: Record<string, number> = {};
  for (const t of tickets) kinds[t.kind] = (kinds[t.kind] ?? 0) + 1;
  rig.log(`chaos: seed ${options.seed}, ${tickets.length} tickets ${JSON.stringify(kinds)}`);
  return { archive, tickets, kinds };
}

/** Builds the Fastify app and listens (on the same port after a restart). */
export async function startApi(rig: ChaosRig, archive: ArchiveEnv): Promise<void> {
  const box = createSecretBox(encryptionKey(archive.config).key);
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
  await next.listen({ port: rig.apiPort, host: '127.0.0.1' });
  rig.apiPort = (next.server.address() as { port: number }).port;
  rig.app = next;
}

function spawnWorker(rig: ChaosRig, archive: ArchiveEnv, name: string): WorkerProcess {
  const tmpdir = fs.mkdtempSync(path.join(rig.tmpRoot, `${name}-`));
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
}

/**
 * Starts `rig.slots` worker processes and a supervisor that restarts any that dies, then waits
 * for the first ones to be polling, so the timeline measures the archive, not tsx start-up.
 */
export async function startWorkers(
  rig: ChaosRig,
  archive: ArchiveEnv,
  checkDeadline: (what: string) => void,
): Promise<void> {
  const { workers, slots, log } = rig;
  let generation = 0;
  for (let i = 0; i < slots; i++) workers[i] = spawnWorker(rig, archive, `w${i}-${generation++}`);
  rig.supervisor = (async () => {
    while (!rig.stopping) {
      for (let i = 0; i < slots; i++) {
        const w = workers[i] as WorkerProcess;
        if (w.child.exitCode !== null || w.child.signalCode !== null) {
          if (!w.output.includes('worker started') && w.child.signalCode === null)
            log(
              `chaos: worker ${w.name} exited before starting (restarting): ${w.output.trim().split('\n').pop()}`,
            );
          workers[i] = spawnWorker(rig, archive, `w${i}-${generation++}`);
        }
      }
      await sleep(500);
    }
  })();
  for (const w of workers) {
    while (!w.output.includes('worker started')) {
      checkDeadline('waiting for the workers to start');
      if (w.child.exitCode !== null) throw new Error(`worker exited at start:\n${w.output}`);
      await sleep(100);
    }
  }
}

/** Stops the workers and the API, restarts any service left down, removes the temporary files. */
export async function tearDownRig(rig: ChaosRig): Promise<void> {
  const { workers, log } = rig;
  rig.stopping = true;
  for (const w of workers) if (w) killGroup(w);
  await Promise.all(workers.map((w) => Promise.race([w?.exited, sleep(5_000)])));
  // Leave every service running, whatever happened.
  for (const s of Object.values(rig.services)) {
    if (!(await s.healthy().catch(() => false)))
      await s.start().catch((err: Error) => log(`chaos: ${s.name}: ${err.message}`));
  }
  await rig.app?.close().catch(() => undefined);
  await rig.env?.close().catch((err: Error) => log(`chaos: cleanup: ${err.message}`));
  fs.rmSync(rig.tmpRoot, { recursive: true, force: true });
}
