import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { provisionTestServer } from '../../infra/provision';
import { loadStackConfig } from '../../infra/stack-config';
import { SEARCH_ATTRIBUTE } from '../../lib/temporal/contract';
import { uniqueSuffix } from '../../tools/harness/stack-env';
import { archiveWorkflows, workflowsPath } from '../../tools/harness/workflow-bundle';

/**
 * Workflow tests: the real workflow code (one bundle per test file) on Temporal's time-skipping
 * test server, with activities replaced by plain functions handed to the worker, as the SDK
 * intends. Retry back-offs and timers pass instantly while the test waits on a result, so a
 * render that fails five times costs no real time. Each `run` polls a task queue of its own.
 */
export interface WorkflowTestEnv {
  client: Client;
  /** Runs `fn` while a worker with these activities polls a fresh task queue. */
  run<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, as the local stack registers them.
const KEYWORD = 2;

let bundle: Promise<WorkflowBundleOption> | undefined;

/**
 * The workflows as the worker runs them (workflows/index.ts): the test run's shared bundle
 * (tools/harness/workflow-bundle.ts), else bundled once per test file.
 */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  const shared = archiveWorkflows().workflowBundle;
  bundle ??= shared ? Promise.resolve(shared) : bundleWorkflowCode({ workflowsPath: workflowsPath() });
  return bundle;
}

export async function startWorkflowTestEnv(): Promise<WorkflowTestEnv> {
  const quiet = (line: string) => process.env.STACK_VERBOSE && console.log(line);
  const executable = provisionTestServer(loadStackConfig(), quiet);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: executable } },
  });
  try {
    // The test server knows no custom search attribute until told; archive children carry two.
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTE).map((name) => [name, KEYWORD])),
    });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  const workflows = await workflowBundle();
  return {
    client: env.client,
    async run(activities, fn) {
      const taskQueue = `wf-test-${uniqueSuffix()}`;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: workflows,
        activities,
      });
      return worker.runUntil(fn(taskQueue));
    },
    close: () => env.teardown(),
  };
}
