import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { archiveWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from './contract';

export type ArchiveStatus = 'started' | 'running' | 'archived' | 'erased';

/**
 * One ticket, one workflow id. Postgres decides whether a ticket is archived ("archived", nothing
 * started). Otherwise we start; a run still going under the same id makes the start fail
 * (conflict policy FAIL) and the webhook joins it ("running"). A closed run whose ticket Postgres
 * does not hold as archived (it failed, or the database was restored) may run again (reuse
 * policy ALLOW_DUPLICATE): that is how a fixed bot key gets a failed ticket archived after all.
 * An erased ticket (a tombstone: lib/retention/erasure-hash.ts) is never started again ("erased").
 */
export function createArchiveStarter(
  client: Client,
  taskQueue: string,
  ticketState: (t: string, id: string) => Promise<'erased' | 'archived' | null>,
  isArchived: (t: string, id: string) => Promise<boolean>,
) {
  /**
   * `known` is the ticket's state when the caller read it already in this request (the webhook
   * reads it with the bot's access: lib/db/webhook-checks.ts); otherwise it is read here.
   */
  return async function startArchive(
    tenantId: string,
    ticketId: string,
    known?: 'erased' | 'archived' | null,
  ): Promise<{ workflowId: string; status: ArchiveStatus }> {
    const workflowId = archiveWorkflowId(tenantId, ticketId);
    // Temporal forgets closed runs after the namespace retention; Postgres never forgets.
    const state = known !== undefined ? known : await ticketState(tenantId, ticketId);
    if (state) return { workflowId, status: state };
    if ((await startOrJoinArchive(client, taskQueue, tenantId, ticketId)) === 'started') {
      return { workflowId, status: 'started' };
    }
    // Only a running execution conflicts under ALLOW_DUPLICATE; it may have just finished.
    if (await isArchived(tenantId, ticketId)) return { workflowId, status: 'archived' };
    return { workflowId, status: 'running' };
  };
}

/**
 * Starts `archive/<tenant>/<ticket>`, or joins the run already going under that id. A closed run
 * may run again (ALLOW_DUPLICATE): whether to archive again is decided by the caller (the webhook
 * asks Postgres first; `ticket-vault archive --force` re-runs on purpose).
 */
export async function startOrJoinArchive(
  client: Client,
  taskQueue: string,
  tenantId: string,
  ticketId: string,
  requestedBy = 'webhook (Blip Builder action)',
): Promise<'started' | 'running'> {
  try {
    await client.workflow.start(WORKFLOW.archiveTicket, {
      taskQueue,
      workflowId: archiveWorkflowId(tenantId, ticketId),
      args: [{ tenantId, ticketId }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowIdConflictPolicy: 'FAIL',
      searchAttributes: {
        [SEARCH_ATTRIBUTE.tenantId]: [tenantId],
        [SEARCH_ATTRIBUTE.ticketId]: [ticketId],
      },
      // Shown in the Temporal UI next to the input: what this run is, in an operator's words.
      memo: { summary: `archive ticket ${ticketId} of bot ${tenantId}`, requestedBy },
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'running';
    throw err;
  }
}
