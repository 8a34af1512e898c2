import fs from 'node:fs';
import path from 'node:path';
import { runDir } from '../../infra/paths';
import { loadStackConfig } from '../../infra/stack-config';
import { stackDown } from '../../infra/stack-control';

/**
 * Stops only the services this run's global setup started; a stack someone else runs stays up.
 * TEST_KEEP_STACK=1 leaves everything running (handy when several test runs share one stack).
 */
export default async function globalTeardown(): Promise<void> {
  const file = path.join(runDir, `test-started-${process.pid}.json`);
  const started: string[] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
  fs.rmSync(file, { force: true });
  fs.rmSync(path.join(runDir, `test-workflows-${process.pid}.js`), { force: true });
  if (started.length > 0 && process.env.TEST_KEEP_STACK !== '1') await stackDown(loadStackConfig(), started);
}
