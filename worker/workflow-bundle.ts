import { Worker as Thread } from 'node:worker_threads';

/**
 * The workflow code bundled once per process and shared by every Temporal Worker in it (the archive
 * queue and the media-text queue): a Worker given `workflowsPath` runs webpack itself, so two Workers
 * bundled twice. Webpack runs in a short-lived thread whose heap is released when it exits, so its
 * ~100 MB of modules and caches never stay in the worker's resident memory (docs/performance.md).
 */
export interface WorkflowCode {
  code: string;
}

export function bundleWorkflowsInThread(workflowsPath: string): Promise<WorkflowCode> {
  return new Promise((resolve, reject) => {
    const thread = new Thread(BUNDLER_SOURCE, {
      eval: true,
      workerData: { workflowsPath, sdk: require.resolve('@temporalio/worker') },
    });
    let settled = false;
    thread.once('message', (message: { code?: string; error?: string }) => {
      settled = true;
      if (typeof message.code === 'string') resolve({ code: message.code });
      else reject(new Error(`workflow bundle failed: ${message.error ?? 'no code'}`));
    });
    thread.once('error', (err) => {
      settled = true;
      reject(err);
    });
    thread.once('exit', (code) => {
      if (!settled) reject(new Error(`workflow bundler thread exited with code ${code}`));
    });
  });
}

// Plain CommonJS: an eval'd thread does not go through tsx, and the bundler needs no TypeScript itself
// (webpack compiles the workflows with its own loader).
const BUNDLER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { bundleWorkflowCode } = require(workerData.sdk);
// Webpack reports what went wrong through the logger, not in the error it throws: keep it.
const errors = [];
const quiet = () => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (m) => errors.push(String(m)) };
bundleWorkflowCode({ workflowsPath: workerData.workflowsPath, logger })
  .then((bundle) => parentPort.postMessage({ code: bundle.code }))
  .catch((err) => parentPort.postMessage({ error: [String((err && err.message) || err), ...errors].join('\\n').slice(0, 4000) }));
`;
