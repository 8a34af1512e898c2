import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fixturesDir } from '../tools/blip-sim/fixtures-dir';
import { seedDemoArchive } from './demo';
import { repoRoot } from './paths';
import { waitFor } from './processes';
import { provision } from './provision';
import { httpOk } from './services/net';
import { loadStackConfig } from './stack-config';
import { stackDown, stackEnv, stackUp } from './stack-control';
import { Supervisor } from './supervisor';

/**
 * `npm start`: provision and start the local stack, then the worker and the API (and, when
 * BLIP_API_URL is not set, the Blip simulator with the demo fixtures). Ctrl-C stops every process
 * this command started and leaves alone services that were already running.
 */

const SIMULATOR_PORT = Number(process.env.BLIP_SIM_PORT ?? 8090);
const DEMO_FIXTURES = fixturesDir();
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

async function main() {
  const config = loadStackConfig();
  provision(config);
  const startedServices = await stackUp(config);
  const supervisor = new Supervisor();
  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log('stopping…');
    await supervisor.stopAll();
    const stopped = await stackDown(config, startedServices);
    if (stopped.length) console.log(`stopped services: ${stopped.join(', ')}`);
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  supervisor.onUnexpectedExit = (name, code) => {
    console.error(`${name} exited (code ${code}); stopping everything`);
    void shutdown(1);
  };

  try {
    await startProduct(config, supervisor);
  } catch (err) {
    console.error(`start: ${(err as Error).message}`);
    await shutdown(1);
  }
}

/** Builds the extension UI (web/ → web/build), which the API serves on its own port. */
function buildWebUi(): void {
  console.log('building the extension UI (npm run build:web)…');
  execFileSync('npm', ['run', 'build:web', '--silent'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * The local Typesense starts empty (infra/services/typesense.ts): rebuild the index from Postgres
 * when Postgres holds archived tickets, with the ops CLI's reindex (a Temporal workflow).
 */
async function rebuildSearchIfEmpty(env: NodeJS.ProcessEnv): Promise<void> {
  // Asynchronous: the worker doing the reindex writes its logs through our pipes meanwhile.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['cli/bin.js', 'reindex', '--if-empty', '--wait', '--json'],
    { cwd: repoRoot, env, encoding: 'utf8', timeout: 10 * 60_000 },
  );
  const result = JSON.parse(stdout) as { status: string; progress?: { tickets: number } };
  if (result.status !== 'skipped') {
    console.log(`Search index:        rebuilt from Postgres (${result.progress?.tickets ?? 0} tickets)`);
  }
}

async function startProduct(config: ReturnType<typeof loadStackConfig>, supervisor: Supervisor) {
  if (process.env.WEB_UI !== 'off') buildWebUi();
  const env: NodeJS.ProcessEnv = {
    WORKER_METRICS_PORT: '9464',
    TEMPORAL_SDK_METRICS_PORT: '9465',
    ...process.env,
    ...(await stackEnv(config)),
  };
  const simulated = !process.env.BLIP_API_URL;
  if (simulated) {
    env.BLIP_API_URL = `http://127.0.0.1:${SIMULATOR_PORT}/commands`;
    // The simulator serves media from loopback: allow its origin past the SSRF guard.
    const simOrigin = `http://127.0.0.1:${SIMULATOR_PORT}`;
    env.BLIP_MEDIA_ALLOWED_ORIGINS = [env.BLIP_MEDIA_ALLOWED_ORIGINS, simOrigin].filter(Boolean).join(',');
    supervisor.start({
      name: 'blip-sim',
      command: tsx,
      args: ['tools/blip-sim/main.ts', '--port', String(SIMULATOR_PORT), '--fixtures', DEMO_FIXTURES],
      env,
    });
    await waitFor('blip simulator', () => httpOk(`http://127.0.0.1:${SIMULATOR_PORT}/_admin/health`), {
      timeoutMs: 30_000,
    });
  }
  supervisor.start({ name: 'worker', command: tsx, args: ['worker/main.ts'], env });
  supervisor.start({ name: 'api', command: tsx, args: ['api/main.ts'], env });
  const apiUrl = `http://127.0.0.1:${config.API_PORT}`;
  await waitFor('api', () => httpOk(`${apiUrl}/healthz`), { timeoutMs: 60_000 });

  console.log('');
  console.log(`ticket-vault is up:  API ${apiUrl}  (health ${apiUrl}/healthz)`);
  if (process.env.WEB_UI !== 'off') console.log(`Extension UI:        ${apiUrl}/  (log in with a bot key)`);
  console.log(`Temporal Web UI:     http://127.0.0.1:${config.TEMPORAL_UI_PORT}`);
  await rebuildSearchIfEmpty(env);
  if (simulated) {
    console.log(`Blip simulator:      ${env.BLIP_API_URL} (demo fixtures)`);
    console.log('Archiving the demo tickets:');
    await seedDemoArchive(apiUrl, DEMO_FIXTURES, console.log);
    console.log('Archive a demo ticket, as Blip Builder would:');
    console.log(
      `  curl -s -X POST ${apiUrl}/v1/tickethistory -H 'Content-Type: application/json' \\\n` +
        `    -d '{"ticket":"b598352e-77f5-546c-a017-5ec108ed50ba","auth":"Key YXRlbmRpbWVudG9sYXRhbTpYazI5dlFwTDdtWnQ="}'`,
    );
  }
  console.log('Ctrl-C stops everything started here.');
}

main().catch(async (err) => {
  console.error(`start: ${(err as Error).message}`);
  process.exit(1);
});
