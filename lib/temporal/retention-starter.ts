import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { SecretBox } from '../crypto/secret-box';
import { identityFingerprint } from '../retention/erasure-hash';
import { erasureWorkflowId, retentionWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from './contract';

/** Callers name the workflow's result type (the client side may import workflow types; lib/ does not). */
export interface TemporalStartContext {
  temporal: Client;
  taskQueue: string;
}

/**
 * `erase <tenant> <identity> --requested-by …`: starts the eraseContact workflow (a new request
 * each call; re-running one is harmless) and, with `wait`, returns its result.
 */
export async function startErasure<Result = unknown>(
  ctx: TemporalStartContext & { box: SecretBox },
  args: { tenantId: string; identity: string; requestedBy: string; requestId?: string; wait?: boolean },
): Promise<{ workflowId: string; result?: Result }> {
  const workflowId = erasureWorkflowId(
    args.tenantId,
    identityFingerprint(ctx.box, args.tenantId, args.identity),
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
  return { workflowId, result: (await handle.result()) as Result };
}

/**
 * `retention run [<tenant>]`: applies one tenant's retention now, or every tenant's (as the daily
 * schedule does). A run already going is joined, not duplicated.
 */
export async function startRetention<Result = unknown>(
  ctx: TemporalStartContext,
  args: { tenantId?: string; wait?: boolean },
): Promise<{ workflowId: string; result?: Result }> {
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
  return { workflowId, result: (await handle.result()) as Result };
}
