import { createArchiveActivities } from './archive';
import type { createWorkerDeps } from './deps';
import { createExportActivities } from './export';
import { createOpsActivities } from './ops';
import { createRetentionActivities } from './retention';
import { createSealActivities } from './seal';

/** Every activity the task queue serves, built from the worker's clients (worker.ts and tests). */
export function createAllActivities(deps: Awaited<ReturnType<typeof createWorkerDeps>>) {
  return {
    ...createArchiveActivities(deps),
    ...createExportActivities(deps),
    ...createRetentionActivities(deps),
    ...createOpsActivities(deps),
    ...createSealActivities(deps),
  };
}
