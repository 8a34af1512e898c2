import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { postgresBinDir } from '../binaries';
import { dataDir, runDir } from '../paths';
import { isAlive, readPid, startDetached, stopProcess, tailLog, waitFor } from '../processes';
import type { StackConfig } from '../stack-config';
import { portOpen } from './net';
import type { LocalService, ServiceStatus } from './service';

/** Stops the server Postgres itself records in `<dir>/postmaster.pid`, if it still runs there. */
async function stopByPostmasterPid(dir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return false;
  }
  const cmdline = (() => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      return '';
    }
  })();
  if (!Number.isInteger(pid) || pid <= 0 || !cmdline.includes(dir)) return false;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

export const POSTGRES_USER = 'ticketvault';
export const POSTGRES_DB = 'ticketvault';
const portFile = path.join(runDir, 'postgres.port');

/** Postgres refuses to run as root: as root we run it as Debian's `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line)
    throw new Error(
      'postgres: running as root needs the unprivileged `postgres` user (apt-get install postgresql creates it)',
    );
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The port this stack's Postgres uses: explicit, remembered from the last start, or 5432 and up. */
export async function postgresPort(config: StackConfig): Promise<number> {
  if (config.POSTGRES_PORT) return config.POSTGRES_PORT;
  const remembered = Number(fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8') : NaN);
  if (Number.isInteger(remembered) && remembered > 0) return remembered;
  for (let port = 5432; port < 5452; port++) if (!(await portOpen(port))) return port;
  throw new Error('postgres: no free port between 5432 and 5451; set POSTGRES_PORT');
}

export function postgresUrl(port: number, database = POSTGRES_DB): string {
  return `postgres://${POSTGRES_USER}@127.0.0.1:${port}/${database}`;
}

async function query(port: number, sql: string, database = 'postgres') {
  const client = new pg.Client({
    connectionString: postgresUrl(port, database),
    connectionTimeoutMillis: 2000,
  });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export function postgresService(config: StackConfig): LocalService {
  const name = 'postgres';
  const dir = path.join(dataDir, 'postgres');
  const healthy = async () => {
    const port = await postgresPort(config);
    return query(port, 'select 1')
      .then(() => true)
      .catch(() => false);
  };

  function initdb(bin: string) {
    if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const user = runAs();
    if (user) fs.chownSync(dir, user.uid, user.gid);
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', dir, '-U', POSTGRES_USER, '--auth=trust', '--encoding=UTF8', '--no-locale'],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) },
    );
  }

  return {
    name,
    healthy,
    async start() {
      const bin = postgresBinDir(config.PG_BIN_DIR);
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
      initdb(bin);
      const port = await postgresPort(config);
      fs.mkdirSync(runDir, { recursive: true });
      fs.writeFileSync(portFile, String(port));
      const args = [
        '-D',
        dir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
      ];
      args.push('-c', 'max_connections=200', '-c', 'fsync=on');
      const pid = startDetached(name, path.join(bin, 'postgres'), args, { ...(runAs() ?? {}) });
      await waitFor(name, healthy, { timeoutMs: 60_000, alive: () => readPid(name) === pid }).catch((err) => {
        throw new Error(`${(err as Error).message}; last log lines:\n${tailLog(name)}`);
      });
      const exists = await query(port, `select 1 from pg_database where datname = '${POSTGRES_DB}'`);
      if (exists.rowCount === 0) await query(port, `create database ${POSTGRES_DB}`);
    },
    // SIGINT is Postgres' "fast shutdown": roll back open transactions, checkpoint, exit. A server
    // on this data directory whose pid file is gone (started by an earlier run that was killed)
    // is found through Postgres' own postmaster.pid.
    stop: async () => (await stopProcess(name, 'SIGINT', 30_000)) || (await stopByPostmasterPid(dir)),
    async status(): Promise<ServiceStatus> {
      let version = '?';
      try {
        const bin = postgresBinDir(config.PG_BIN_DIR);
        version = execFileSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
      } catch (err) {
        version = (err as Error).message;
      }
      const port = await postgresPort(config);
      return {
        name,
        running: readPid(name) !== null,
        healthy: await healthy(),
        version,
        address: postgresUrl(port),
        dataDir: dir,
      };
    },
    wipe: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
