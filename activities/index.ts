import { type ArchiveDeps, createArchiveActivities } from './archive';
import { createExportActivities, type ExportDeps } from './export';
import { createOpsActivities, type OpsDeps } from './ops';
import { createRetentionActivities, type RetentionDeps } from './retention';

/** Every activity the task queue serves, built from the worker's clients (worker.ts and tests). */
/** What every activity module needs together: the worker builds it (worker/deps.ts), tests too. */
export type AllActivityDeps = ArchiveDeps & ExportDeps & RetentionDeps & OpsDeps;

export function createAllActivities(deps: AllActivityDeps) {
  return {
    ...createArchiveActivities(deps),
    ...createExportActivities(deps),
    ...createRetentionActivities(deps),
    ...createOpsActivities(deps),
  };
}
