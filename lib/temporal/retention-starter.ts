import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { ApplyRetentionAllResult, EraseContactResult, RetentionTotals } from '../../workflows/retention';
import { identityFingerprint } from '../retention/purge';
import { erasureWorkflowId, retentionWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from './contract';

export interface TemporalStartContext {
  temporal: Client;
  taskQueue: string;
}

/**
 * `erase <tenant> <identity> --requested-by …`: starts the eraseContact workflow (a new request
 * each call; re-running one is harmless) and, with `wait`, returns its result.
 */
export async function startErasure(
  ctx: TemporalStartContext,
  args: { tenantId: string; identity: string; requestedBy: string; requestId?: string; wait?: boolean },
): Promise<{ workflowId: string; result?: EraseContactResult }> {
  const workflowId = erasureWorkflowId(
    args.tenantId,
    identityFingerprint(args.tenantId, args.identity),
    args.requestId ?? randomUUID(),
  );
  const handle = await ctx.temporal.workflow.start(WORKFLOW.eraseContact, {
    taskQueue: ctx.taskQueue,
    workflowId,
    args: [{ tenantId: args.tenantId, identity: args.identity, requestedBy: args.requestedBy }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [args.tenantId] },
  });
  if (!args.wait) return { workflowId };
  return { workflowId, result: (await handle.result()) as EraseContactResult };
}

/**
 * `retention run [<tenant>]`: applies one tenant's retention now, or every tenant's (as the daily
 * schedule does). A run already going is joined, not duplicated.
 */
export async function startRetention(
  ctx: TemporalStartContext,
  args: { tenantId?: string; wait?: boolean },
): Promise<{ workflowId: string; result?: RetentionTotals | ApplyRetentionAllResult }> {
  const workflowId = retentionWorkflowId(args.tenantId);
  const handle = await ctx.temporal.workflow.start(
    args.tenantId ? WORKFLOW.applyRetention : WORKFLOW.applyRetentionAll,
    {
      taskQueue: ctx.taskQueue,
      workflowId,
      args: args.tenantId ? [{ tenantId: args.tenantId }] : [],
      workflowIdConflictPolicy: 'USE_EXISTING',
      ...(args.tenantId ? { searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [args.tenantId] } } : {}),
    },
  );
  if (!args.wait) return { workflowId };
  return { workflowId, result: (await handle.result()) as RetentionTotals | ApplyRetentionAllResult };
}
