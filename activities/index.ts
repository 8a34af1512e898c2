import { type ArchiveDeps, createArchiveActivities } from './archive';
import { createExportActivities, type ExportDeps } from './export';
import { createOpsActivities, type OpsDeps } from './ops';
import { createRetentionActivities, type RetentionDeps } from './retention';
import { createSealActivities, type SealDeps } from './seal';

/** What every activity module needs together: the worker builds it (worker/deps.ts), tests too. */
export type AllActivityDeps = ArchiveDeps & ExportDeps & RetentionDeps & OpsDeps & SealDeps;

/** Every activity the task queue serves, built from the worker's clients (worker/main.ts and tests). */

export function createAllActivities(deps: AllActivityDeps) {
  return {
    ...createArchiveActivities(deps),
    ...createExportActivities(deps),
    ...createRetentionActivities(deps),
    ...createOpsActivities(deps),
    ...createSealActivities(deps),
  };
}
