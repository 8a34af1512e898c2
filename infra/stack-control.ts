import fs from 'node:fs';
import { dataDir } from './paths';
import { readPid } from './processes';
import { chromiumPath, chromiumStatus } from './services/chromium';
import { gcsService } from './services/gcs';
import { postgresPort, postgresService, postgresUrl } from './services/postgres';
import type { LocalService, ServiceStatus } from './services/service';
import { temporalService } from './services/temporal';
import { temporalServerService } from './services/temporal-server';
import { typesenseService } from './services/typesense';
import { typesenseCluster } from './services/typesense-cluster';
import type { StackConfig } from './stack-config';

/** Which Temporal and which Typesense the stack runs (see StackConfig's STACK_TEMPORAL, STACK_SEARCH). */
export interface StackMode {
  temporal: 'dev' | 'server';
  search: 'single' | 'cluster';
}

/**
 * The mode asked for (a command-line flag, else STACK_TEMPORAL / STACK_SEARCH), else the one this
 * stack is already running (so `npm start` after `stack up --temporal server` uses that server),
 * else the defaults: the dev server and one Typesense.
 */
export function stackMode(config: StackConfig, requested: Partial<StackMode> = {}): StackMode {
  return {
    temporal:
      requested.temporal ??
      config.STACK_TEMPORAL ??
      (readPid('temporal-server') !== null && readPid('temporal') === null ? 'server' : 'dev'),
    search:
      requested.search ??
      config.STACK_SEARCH ??
      (typesenseCluster(config).nodes.some((n) => readPid(n.name) !== null) && readPid('typesense') === null
        ? 'cluster'
        : 'single'),
  };
}

export function stackServices(config: StackConfig, mode: StackMode = stackMode(config)): LocalService[] {
  return [
    postgresService(config),
    mode.search === 'cluster' ? typesenseCluster(config) : typesenseService(config),
    gcsService(config),
    mode.temporal === 'server' ? temporalServerService(config) : temporalService(config),
  ];
}

/** Every service any mode can run, so `down` and `--fresh` reach whichever ran. */
function allServices(config: StackConfig): LocalService[] {
  return [
    postgresService(config),
    typesenseService(config),
    typesenseCluster(config),
    gcsService(config),
    temporalService(config),
    temporalServerService(config),
  ];
}

/** The other kind of the same service, started by this stack, holds the ports this mode needs. */
function conflicts(config: StackConfig, mode: StackMode): string[] {
  const out: string[] = [];
  if (mode.temporal === 'server' && readPid('temporal') !== null)
    out.push(`the Temporal dev server of this stack runs on :${config.TEMPORAL_PORT}`);
  if (mode.temporal === 'dev' && readPid('temporal-server') !== null)
    out.push(`the full Temporal server of this stack runs on :${config.TEMPORAL_PORT}`);
  if (mode.search === 'cluster' && readPid('typesense') !== null)
    out.push(`the single Typesense of this stack runs on :${config.TYPESENSE_PORT}`);
  if (mode.search === 'single' && typesenseCluster(config).nodes.some((n) => readPid(n.name) !== null))
    out.push(`the Typesense cluster of this stack runs on :${config.TYPESENSE_PORT}`);
  return out;
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve: () => void = () => undefined;
  let reject: (err: Error) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody awaits (no full server in this mode) is not an unhandled one.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Starts every service that is not already answering; returns the names of those it started,
 * so the caller stops only what it started. Services start in parallel.
 */
export async function stackUp(
  config: StackConfig,
  log: (l: string) => void = console.log,
  requested: Partial<StackMode> = {},
): Promise<string[]> {
  chromiumPath(config);
  const mode = stackMode(config, requested);
  const clash = conflicts(config, mode);
  if (clash.length > 0)
    throw new Error(
      `${clash.join('; ')}: stop it first (npm run stack -- down), then start with --temporal ${mode.temporal} --search ${mode.search}`,
    );
  const services = stackServices(config, mode);
  const started: string[] = [];
  // The full Temporal server keeps its state in the stack's Postgres: it starts once Postgres is up.
  const postgresUp = deferred();
  const results = await Promise.allSettled(
    services.map(async (s) => {
      if (s.name === 'temporal-server') await postgresUp.promise;
      const done = () => s.name === 'postgres' && postgresUp.resolve();
      if (await s.healthy().catch(() => false)) {
        done();
        return log(`${s.name}: already running`);
      }
      // Typesense holds derived data only (docs/architecture.md rule 5). Restarted over a long log (every
      // collection the tests created and dropped), 0.24 can stall its write queue, so the stack
      // starts it empty; `npm start` rebuilds the index from Postgres (`ticket-vault reindex`).
      // (A plain service restart, as the chaos and outage tests do, keeps its data.)
      if (s.name.startsWith('typesense') && !(await s.status()).running) s.wipe();
      log(`${s.name}: starting`);
      try {
        await s.start();
      } catch (err) {
        if (s.name === 'postgres') postgresUp.reject(new Error('postgres did not start'));
        throw err;
      }
      started.push(s.name);
      done();
      log(`${s.name}: up`);
    }),
  );
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await stackDown(config, started);
    throw new Error(failures.map((f) => (f.reason as Error).message).join('\n'));
  }
  return started;
}

/** Stops the named services (default: all this stack started), in reverse dependency order. */
export async function stackDown(config: StackConfig, only?: string[]): Promise<string[]> {
  const stopped: string[] = [];
  for (const s of allServices(config).reverse()) {
    if (only && !only.includes(s.name)) continue;
    if (await s.stop()) stopped.push(s.name);
  }
  return stopped;
}

export async function stackStatus(
  config: StackConfig,
  requested: Partial<StackMode> = {},
): Promise<ServiceStatus[]> {
  const statuses = await Promise.all(
    stackServices(config, stackMode(config, requested)).map((s) => s.status()),
  );
  return [...statuses, chromiumStatus(config)];
}

export function wipeData(config: StackConfig): void {
  for (const s of allServices(config)) s.wipe();
  fs.mkdirSync(dataDir, { recursive: true });
}

/** The environment the product needs to reach this stack (only fills what is not set already). */
export async function stackEnv(
  config: StackConfig,
  env: NodeJS.ProcessEnv = process.env,
  requested: Partial<StackMode> = {},
): Promise<Record<string, string>> {
  const mode = stackMode(config, requested);
  const wanted: Record<string, string> = {
    // With the cluster the client gets every node and fails over between them (lib/search/client.ts).
    ...(mode.search === 'cluster' ? { TYPESENSE_NODES: typesenseCluster(config).nodeList } : {}),
    TEMPORAL_ADDRESS: `127.0.0.1:${config.TEMPORAL_PORT}`,
    DATABASE_URL: postgresUrl(await postgresPort(config)),
    TYPESENSE_URL: `http://127.0.0.1:${config.TYPESENSE_PORT}`,
    TYPESENSE_API_KEY: config.TYPESENSE_API_KEY,
    STORAGE_EMULATOR_HOST: `http://127.0.0.1:${config.GCS_PORT}`,
    CHROMIUM_PATH: chromiumPath(config),
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(wanted)) out[k] = env[k] ?? v;
  return out;
}
