import fs from 'node:fs';
import path from 'node:path';
import { runDir } from '../../infra/paths';
import { loadStackConfig } from '../../infra/stack-config';
import { stackDown } from '../../infra/stack-control';

/** Stops only the services the global setup started; a stack someone else runs stays up. */
export default async function globalTeardown(): Promise<void> {
  const file = path.join(runDir, 'test-started.json');
  const started: string[] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
  fs.rmSync(file, { force: true });
  if (started.length > 0) await stackDown(loadStackConfig(), started);
}
