import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createMediaTextActivities, type MediaTextDeps } from '../activities/media-text';
import { mediaTextTaskQueue } from '../lib/temporal/contract';

export const MEDIA_TEXT_CACHED_WORKFLOWS = 50;

/**
 * The worker of the media-text queue (`<TEMPORAL_TASK_QUEUE>-media-text`, issue 18): the
 * extractMediaText workflow and its activities, MEDIA_TEXT_CONCURRENCY files at a time (each
 * engine process single-threaded), so OCR takes at most that many cores from archiving.
 */
export function createMediaTextWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  archiveQueue: string;
  concurrency: number;
  deps: MediaTextDeps;
  /** The workflows' source path, or code already bundled (the tests bundle once per run). */
  workflows: Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'>;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: mediaTextTaskQueue(opts.archiveQueue),
    ...opts.workflows,
    activities: createMediaTextActivities(opts.deps),
    maxConcurrentActivityTaskExecutions: Math.max(1, opts.concurrency),
    maxConcurrentWorkflowTaskExecutions: 4,
    // The SDK's default cache is sized from the heap (thousands of workflows): after a burst of
    // archives every child waiting for its turn at the engine stayed cached, and the worker's memory
    // with them (900 MB at 1 000 tickets, docs/performance.md). Evicted ones replay their short history.
    maxCachedWorkflows: MEDIA_TEXT_CACHED_WORKFLOWS,
    shutdownGraceTime: '20 seconds',
  });
}
