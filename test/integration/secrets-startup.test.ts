import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';

/**
 * Processes refuse to start without their secrets outside local development, before connecting
 * to anything (issue 13): Postgres and Temporal point at a closed port here, so a process that
 * got as far as connecting would fail with a connection error instead of naming the variable.
 */

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const hex = () => randomBytes(32).toString('hex');
// sha-256 of the development seed in lib/config.ts: public, since it is in the repository.
const DEV_KEY = createHash('sha256').update('ticket-vault local development only').digest('hex');
let closedPort: number;

beforeAll(async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function run(entry: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = entry as [string, ...string[]];
    const child = spawn(command, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        LOG_LEVEL: 'silent',
        DATABASE_URL: `postgres://nobody@127.0.0.1:${closedPort}/nothing`,
        TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
        TYPESENSE_URL: `http://127.0.0.1:${closedPort}`,
        STORAGE_EMULATOR_HOST: `http://127.0.0.1:${closedPort}`,
        API_PORT: String(closedPort),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const API = [TSX, 'api/main.ts'];
const WORKER = [TSX, 'worker/main.ts'];
const CLI = [process.execPath, 'cli/bin.js', 'tenants', 'list'];

test.each([
  ['the API with NODE_ENV=production', API, { NODE_ENV: 'production' }],
  ['the API bound to 0.0.0.0', API, { API_HOST: '0.0.0.0' }],
  ['the worker with NODE_ENV=production', WORKER, { NODE_ENV: 'production' }],
  ['the CLI with NODE_ENV=production', CLI, { NODE_ENV: 'production' }],
])(
  '%s and no ARCHIVE_ENCRYPTION_KEY exits non-zero naming it, before connecting',
  async (_what, entry, env) => {
    const { code, stderr } = await run(entry, env as Record<string, string>);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/ARCHIVE_ENCRYPTION_KEY is not set/);
    expect(stderr).toMatch(/openssl rand -hex 32/);
    expect(stderr).not.toMatch(/ECONNREFUSED|connect/i);
  },
);

test('a public development key is refused on a public address', async () => {
  const { code, stderr } = await run(API, {
    API_HOST: '0.0.0.0',
    ARCHIVE_ENCRYPTION_KEY: DEV_KEY,
    SESSION_SECRET: hex(),
  });
  expect(code).not.toBe(0);
  expect(stderr).toMatch(/ARCHIVE_ENCRYPTION_KEY is a publicly known development key/);
});

test('with both secrets set, the API gets as far as connecting (here: to nothing)', async () => {
  const { code, stderr } = await run(API, {
    NODE_ENV: 'production',
    ARCHIVE_ENCRYPTION_KEY: hex(),
    SESSION_SECRET: hex(),
  });
  expect(code).not.toBe(0);
  expect(stderr).not.toMatch(/ARCHIVE_ENCRYPTION_KEY|SESSION_SECRET/);
  expect(stderr).toMatch(/ECONNREFUSED|connect/i);
});

test('the worker in production without PDF_SIGNING_P12 exits naming it, before connecting', async () => {
  const { code, stderr } = await run(WORKER, {
    NODE_ENV: 'production',
    ARCHIVE_ENCRYPTION_KEY: hex(),
    SESSION_SECRET: hex(),
  });
  expect(code).not.toBe(0);
  expect(stderr).toMatch(/PDF_SIGNING_P12 is required/);
  expect(stderr).not.toMatch(/ECONNREFUSED/);
});
