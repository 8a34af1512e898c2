import type { createWorkerDeps } from '../worker/deps';
import { createArchiveActivities } from './archive';
import { createExportActivities } from './export';
import { createOpsActivities } from './ops';
import { createRetentionActivities } from './retention';

/** Every activity the task queue serves, built from the worker's clients (worker.ts and tests). */
export function createAllActivities(deps: Awaited<ReturnType<typeof createWorkerDeps>>) {
  return {
    ...createArchiveActivities(deps),
    ...createExportActivities(deps),
    ...createRetentionActivities(deps),
    ...createOpsActivities(deps),
  };
}
