import fs from 'node:fs';
import { dataDir } from './paths';
import { chromiumPath, chromiumStatus } from './services/chromium';
import { gcsService } from './services/gcs';
import { postgresPort, postgresService, postgresUrl } from './services/postgres';
import type { LocalService, ServiceStatus } from './services/service';
import { temporalService } from './services/temporal';
import { typesenseService } from './services/typesense';
import type { StackConfig } from './stack-config';

export function stackServices(config: StackConfig): LocalService[] {
  return [postgresService(config), typesenseService(config), gcsService(config), temporalService(config)];
}

/**
 * Starts every service that is not already answering; returns the names of those it started,
 * so the caller stops only what it started. Services start in parallel.
 */
export async function stackUp(
  config: StackConfig,
  log: (l: string) => void = console.log,
): Promise<string[]> {
  chromiumPath(config);
  const services = stackServices(config);
  const started: string[] = [];
  const results = await Promise.allSettled(
    services.map(async (s) => {
      if (await s.healthy()) return log(`${s.name}: already running`);
      // Typesense holds derived data only (docs/architecture.md rule 5). Restarted over a long log (every
      // collection the tests created and dropped), 0.24 can stall its write queue, so the stack
      // starts it empty; `npm start` rebuilds the index from Postgres (`ticket-vault reindex`).
      // (A plain service restart, as the chaos and outage tests do, keeps its data.)
      if (s.name === 'typesense') s.wipe();
      log(`${s.name}: starting`);
      await s.start();
      started.push(s.name);
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
  for (const s of stackServices(config).reverse()) {
    if (only && !only.includes(s.name)) continue;
    if (await s.stop()) stopped.push(s.name);
  }
  return stopped;
}

export async function stackStatus(config: StackConfig): Promise<ServiceStatus[]> {
  const statuses = await Promise.all(stackServices(config).map((s) => s.status()));
  return [...statuses, chromiumStatus(config)];
}

export function wipeData(config: StackConfig): void {
  for (const s of stackServices(config)) s.wipe();
  fs.mkdirSync(dataDir, { recursive: true });
}

/** The environment the product needs to reach this stack (only fills what is not set already). */
export async function stackEnv(
  config: StackConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const wanted: Record<string, string> = {
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
