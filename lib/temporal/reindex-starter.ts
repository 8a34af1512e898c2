import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { reindexWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from './contract';

/**
 * Starts `reindex/all` (new versioned collections, alias swap) or `reindex/<tenant>` (upserts).
 * One reindex of a scope at a time: starting it again while one runs joins it.
 */
export async function startReindex(
  temporal: Client,
  taskQueue: string,
  req: { tenantId?: string; batchSize?: number },
) {
  return temporal.workflow.start(WORKFLOW.reindexSearch, {
    taskQueue,
    workflowId: reindexWorkflowId(req.tenantId),
    args: [{ tenantId: req.tenantId, batchSize: req.batchSize }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    ...(req.tenantId ? { searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [req.tenantId] } } : {}),
  });
}
