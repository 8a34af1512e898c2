import fs from 'node:fs';
import path from 'node:path';
import { runDir } from '../../infra/paths';
import { provision } from '../../infra/provision';
import { loadStackConfig } from '../../infra/stack-config';
import { stackEnv, stackUp } from '../../infra/stack-control';
import { SHARED_WORKFLOW_BUNDLE, writeWorkflowBundle } from '../../tools/harness/workflow-bundle';

/**
 * Brings the real local stack up before any test (provisioning binaries on a fresh machine) and
 * remembers which services this run started, so the teardown stops exactly those. The workflow
 * code is bundled once here, while the stack starts, for every worker the test files start.
 */
export default async function globalSetup(): Promise<void> {
  const config = loadStackConfig();
  // A first `STACK_TEMPORAL=server` run builds the server for minutes: that is always said.
  const quiet = (line: string) =>
    (process.env.STACK_VERBOSE || /: (building|built in) /.test(line)) && console.log(line);
  provision(config, quiet);
  fs.mkdirSync(runDir, { recursive: true });
  const bundle = path.join(runDir, `test-workflows-${process.pid}.js`);
  const [started] = await Promise.all([stackUp(config, quiet), writeWorkflowBundle(bundle)]);
  process.env[SHARED_WORKFLOW_BUNDLE] = bundle;
  fs.writeFileSync(path.join(runDir, `test-started-${process.pid}.json`), JSON.stringify(started));
  const env = await stackEnv(config);
  fs.writeFileSync(path.join(runDir, 'test-env.json'), JSON.stringify(env));
  Object.assign(process.env, env);
}
