import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { SecretBox } from '../crypto/secret-box';
import type { Db } from '../db/pool';
import { identityFingerprint } from '../retention/erasure-hash';
import { createErasureRequest } from '../retention/erasure-requests';
import { erasureWorkflowId, retentionWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from './contract';

/** Callers name the workflow's result type (the client side may import workflow types; lib/ does not). */
export interface TemporalStartContext {
  temporal: Client;
  taskQueue: string;
}

/**
 * `erase <tenant> <identity> --requested-by …`: stores the request (identity sealed, migration 012)
 * and starts the eraseContact workflow with the request id only, so the identity never enters
 * Temporal history; a new request each call (re-running one is harmless). With `wait`, returns its result.
 */
export async function startErasure<Result = unknown>(
  ctx: TemporalStartContext & { box: SecretBox; db: Db },
  args: { tenantId: string; identity: string; requestedBy: string; requestId?: string; wait?: boolean },
): Promise<{ workflowId: string; result?: Result }> {
  const requestId = args.requestId ?? randomUUID();
  const workflowId = erasureWorkflowId(
    args.tenantId,
    identityFingerprint(ctx.box, args.tenantId, args.identity),
    requestId,
  );
  await createErasureRequest(ctx.db, ctx.box, {
    requestId,
    tenantId: args.tenantId,
    identity: args.identity,
    requestedBy: args.requestedBy,
  });
  const handle = await ctx.temporal.workflow.start(WORKFLOW.eraseContact, {
    taskQueue: ctx.taskQueue,
    workflowId,
    args: [{ tenantId: args.tenantId, requestId, requestedBy: args.requestedBy }],
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
