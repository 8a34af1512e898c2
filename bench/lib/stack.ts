import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dataDir, repoRoot, runDir } from '../../infra/paths';
import { loadStackConfig } from '../../infra/stack-config';
import { stackDown, stackEnv, stackUp } from '../../infra/stack-control';
import { type BuiltWorker, buildWorker } from '../../tools/build-worker';
import { waitFor } from '../../tools/harness/wait';
import { WORKER_PROCESS_ENV } from '../../worker/process-env';
import { pidsMatching } from './proc';

/**
 * The stack the benchmarks run against: the same env vars that select a stack for `npm run stack`
 * (STACK_DIR, TEMPORAL_PORT, POSTGRES_PORT, …) select it here. Services not already running are
 * started, and only those are stopped at the end.
 */
export interface BenchStack {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function openStack(log: (l: string) => void): Promise<BenchStack> {
  const config = loadStackConfig();
  const started = await stackUp(config, () => undefined);
  if (started.length > 0) log(`started ${started.join(', ')}`);
  const env = await stackEnv(config);
  // tools/harness/archive-env reads the stack addresses from here, as after jest's global setup.
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(runDir, 'test-env.json'), JSON.stringify(env));
  Object.assign(process.env, env);
  return {
    env,
    async stop() {
      if (started.length > 0) await stackDown(config, started);
    },
  };
}

/** The root pids of each stack service (their trees hold Postgres backends and the like). */
export const serviceGroups = {
  postgres: () => pidsMatching(`-D ${path.join(dataDir, 'postgres')}`),
  typesense: () => pidsMatching(`--data-dir=${path.join(dataDir, 'typesense')}`),
  gcs: () => pidsMatching(`-filesystem-root ${path.join(dataDir, 'gcs')}`),
  // The dev server (SQLite file), or the full server (`--temporal server`: its Postgres backends count
  // under postgres).
  temporal: () => [
    ...pidsMatching(`--db-filename ${path.join(dataDir, 'temporal')}`),
    ...pidsMatching(`--config-file ${path.join(dataDir, 'temporal-server')}`),
  ],
} satisfies Record<string, () => number[]>;

export interface WorkerChild {
  child: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

let built: Promise<BuiltWorker> | undefined;

/**
 * The worker as production runs it (`npm run build:worker`: plain JavaScript and a prebuilt workflow
 * bundle, docs/deploy.md), built once per bench run, as its own process so /proc/<pid> measures the
 * worker itself.
 */
export async function startWorkerChild(env: Record<string, string>): Promise<WorkerChild> {
  built ??= buildWorker(path.join(repoRoot, 'dist', 'bench-worker'));
  const { main, workflowBundle } = await built;
  // Node flags for the worker alone (e.g. `--max-old-space-size=160`), to measure a capped heap.
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: repoRoot,
    // The Deployment's process environment first (infra/k8s/worker.yaml), so the run can override it.
    env: {
      ...WORKER_PROCESS_ENV,
      ...process.env,
      ...env,
      WORKER_WORKFLOW_BUNDLE: workflowBundle,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    // Keep the head (start-up) and a bounded tail: per-ticket logs would grow without bound.
    output =
      output.length < 64_000 ? output + d.toString('utf8') : output.slice(0, 32_000) + d.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor('the worker to start', 60_000, () => {
    if (child.exitCode !== null) throw new Error(`worker exited early:\n${output}`);
    return output.includes('"msg":"worker started"') ? true : undefined;
  });
  return {
    child,
    pid: child.pid as number,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 25_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
