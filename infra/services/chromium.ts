import { probeVersion, resolveBinary } from '../binaries';
import type { StackConfig } from '../stack-config';
import type { ServiceStatus } from './service';

/** Chromium is not a daemon: the stack only checks it is installed and runs. */
export function chromiumPath(config: StackConfig): string {
  return resolveBinary({
    service: 'chromium',
    envVar: 'CHROMIUM_PATH',
    envValue: config.CHROMIUM_PATH,
    pathNames: ['chromium', 'chromium-browser'],
    fallbacks: ['/usr/bin/chromium'],
    fix: "run `npm run stack -- provision` (installs Debian's chromium and fonts) or set CHROMIUM_PATH",
  }).path;
}

export function chromiumStatus(config: StackConfig): ServiceStatus {
  try {
    const bin = chromiumPath(config);
    const version = probeVersion('chromium', bin, ['--version']);
    return { name: 'chromium', running: true, healthy: true, version, address: bin, dataDir: '(none)' };
  } catch (err) {
    return {
      name: 'chromium',
      running: false,
      healthy: false,
      version: (err as Error).message,
      address: '-',
      dataDir: '-',
    };
  }
}
