import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { backfillWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from './contract';

export interface BackfillRequest {
  tenantId: string;
  /** ISO instants. */
  from: string;
  to: string;
  pageSize?: number;
  concurrency?: number;
  continueAsNewEvery?: number;
}

/** A workflow's status name (`RUNNING`, `COMPLETED`, …), or null when Temporal has no such id. */
export async function workflowStatus(temporal: Client, workflowId: string): Promise<string | null> {
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return null;
    throw err;
  }
}

/**
 * Starts `backfill/<tenant>/<from>/<to>`, or finds it: a running one is resumed (joined), a
 * completed one is reported and not repeated, a failed or terminated one starts over (children
 * skip what Postgres already holds).
 */
export async function startBackfill(
  temporal: Client,
  taskQueue: string,
  req: BackfillRequest,
): Promise<{ workflowId: string; status: 'started' | 'resumed' | 'completed' }> {
  const workflowId = backfillWorkflowId(req.tenantId, req.from, req.to);
  const previous = await workflowStatus(temporal, workflowId);
  if (previous === 'RUNNING') return { workflowId, status: 'resumed' };
  if (previous === 'COMPLETED') return { workflowId, status: 'completed' };
  try {
    await temporal.workflow.start(WORKFLOW.backfillTenant, {
      taskQueue,
      workflowId,
      args: [req],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [req.tenantId] },
    });
    return { workflowId, status: 'started' };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { workflowId, status: 'completed' };
  }
}
