import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { archiveWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from '../../lib/temporal-contract';

export type ArchiveStatus = 'started' | 'running' | 'archived';

/**
 * One ticket, one workflow id. The start fails fast when the id exists, and then we describe it:
 * a running archive is joined ("running"), a completed one is not run again ("archived"). A failed
 * one may be started again (reuse policy "allow duplicate failed only"), which is how a fixed bot
 * key or a returned ticket gets archived after all.
 */
export function createArchiveStarter(
  client: Client,
  taskQueue: string,
  isArchived: (t: string, id: string) => Promise<boolean>,
) {
  return async function startArchive(
    tenantId: string,
    ticketId: string,
  ): Promise<{ workflowId: string; status: ArchiveStatus }> {
    const workflowId = archiveWorkflowId(tenantId, ticketId);
    // Temporal forgets closed runs after the namespace retention; Postgres never forgets.
    if (await isArchived(tenantId, ticketId)) return { workflowId, status: 'archived' };
    try {
      await client.workflow.start(WORKFLOW.archiveTicket, {
        taskQueue,
        workflowId,
        args: [{ tenantId, ticketId }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        workflowIdConflictPolicy: 'FAIL',
        searchAttributes: {
          [SEARCH_ATTRIBUTE.tenantId]: [tenantId],
          [SEARCH_ATTRIBUTE.ticketId]: [ticketId],
        },
      });
      return { workflowId, status: 'started' };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const description = await client.workflow.getHandle(workflowId).describe();
      return { workflowId, status: description.status.name === 'RUNNING' ? 'running' : 'archived' };
    }
  };
}
