import fs from 'node:fs';
import type { WorkerOptions } from '@temporalio/worker';
import { bundleWorkflowsInThread } from '../../worker/workflow-bundle';

/**
 * The workflow code (workflows/index.ts) bundled once per test run instead of once per worker:
 * webpack takes 1–2 s a bundle, and nearly every stack test file starts a worker. The stack
 * tests' global setup writes the bundle to a file and names it in this variable; without it
 * (a script, a bench, a test run without that setup) each worker bundles for itself as before.
 */
export const SHARED_WORKFLOW_BUNDLE = 'TV_TEST_WORKFLOW_BUNDLE';

export const workflowsPath = (): string => require.resolve('../../workflows');

/** What a worker of the archive's workflows is given: the run's shared bundle, else the source path. */
export function archiveWorkflows(): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'> {
  const codePath = process.env[SHARED_WORKFLOW_BUNDLE];
  if (codePath && fs.existsSync(codePath)) return { workflowBundle: { codePath } };
  return { workflowsPath: workflowsPath() };
}

/** Bundles the workflows as the worker does (worker/workflow-bundle.ts) into `file`. */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflowsInThread(workflowsPath());
  fs.writeFileSync(file, code);
}
