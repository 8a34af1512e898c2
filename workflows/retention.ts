import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  continueAsNew,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { PurgeTotals, RetentionActivities } from '../activities/retention-types';
import { retentionWorkflowId } from '../lib/temporal/contract';

/**
 * Retention and erasure. Workflows only steer: activities list what may go (held tickets never
 * are) and purge ticket by ticket, idempotently, returning counts. Held tickets are skipped, never
 * failed: a hold is a normal state, reported in the result.
 */

export interface ApplyRetentionInput {
  tenantId: string;
  /** Set by the first run and carried through continue-as-new, so the cutoff never moves. */
  now?: string;
  totals?: RetentionTotals;
}

export interface RetentionTotals extends PurgeTotals {
  held: number;
  batches: number;
}

export interface ApplyRetentionAllResult {
  tenants: string[];
  /** Documents older than the free-text window trimmed from the recent-messages collection. */
  recentTrimmed?: number;
  /** Tenants whose run was already going (started by hand): left alone. */
  alreadyRunning: string[];
}

export interface EraseContactInput {
  tenantId: string;
  /** The stored request (lib/retention/erasure-requests.ts): the activities read the identity from it. */
  requestId?: string;
  /** Only in workflows started before erasure requests were stored; never set by new starts. */
  identity?: string;
  requestedBy: string;
}

export interface EraseContactResult extends PurgeTotals {
  /** Tickets of the contact kept because a hold covers them (refused, not erased). */
  heldTicketIds: string[];
  /** The contact itself is on hold: nothing of it was erased. */
  contactHeld: boolean;
}

const BATCH_SIZE = 100;
const BATCHES_PER_RUN = 200;

const purge = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const quick = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** One filter delete in Typesense: no heartbeats, a generous bound. */
const trim = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const zero = (): RetentionTotals => ({
  tickets: 0,
  messages: 0,
  media: 0,
  objects: 0,
  exports: 0,
  held: 0,
  batches: 0,
});

function add<T extends PurgeTotals>(a: T, b: PurgeTotals): T {
  return {
    ...a,
    tickets: a.tickets + b.tickets,
    messages: a.messages + b.messages,
    media: a.media + b.media,
    objects: a.objects + b.objects,
    exports: a.exports + b.exports,
  };
}

/** Deletes one tenant's archived tickets closed before its retention, except held ones. */
export async function applyRetention(input: ApplyRetentionInput): Promise<RetentionTotals> {
  const now = input.now ?? new Date().toISOString();
  let totals = input.totals ?? zero();
  const { workflowId } = workflowInfo();
  for (let i = 0; i < BATCHES_PER_RUN; i++) {
    const batch = await purge.purgeExpiredBatch({
      tenantId: input.tenantId,
      now,
      limit: BATCH_SIZE,
      workflowId,
    });
    totals = { ...add(totals, batch), held: totals.held + batch.held, batches: totals.batches + 1 };
    if (!batch.more) return totals;
  }
  return continueAsNew<typeof applyRetention>({ tenantId: input.tenantId, now, totals });
}

/** Started by the schedule: one applyRetention child per tenant that has a retention set. */
export async function applyRetentionAll(): Promise<ApplyRetentionAllResult> {
  // The daily schedule is the periodic job there is: it also keeps the recent-messages collection to
  // its window (issue 17). Runs started before this step existed replay without it.
  const recentTrimmed = patched('trim-recent-messages')
    ? (await trim.trimRecentMessages()).deleted
    : undefined;
  const tenants = await quick.listRetentionTenants();
  const alreadyRunning: string[] = [];
  const started: Array<Promise<unknown>> = [];
  for (const tenantId of tenants) {
    try {
      const child = await startChild(applyRetention, {
        args: [{ tenantId }],
        workflowId: retentionWorkflowId(tenantId),
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      started.push(child.result());
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) alreadyRunning.push(tenantId);
      else throw err;
    }
  }
  const results = await Promise.allSettled(started);
  const failed = results.filter((r) => r.status === 'rejected').length;
  if (failed > 0)
    throw ApplicationFailure.nonRetryable(
      `${failed} of ${started.length} tenant retention runs failed`,
      'RetentionFailed',
    );
  return { tenants, alreadyRunning, ...(recentTrimmed === undefined ? {} : { recentTrimmed }) };
}

/** A data-protection erasure of one contact: every ticket of it everywhere, except held ones. */
export async function eraseContact(input: EraseContactInput): Promise<EraseContactResult> {
  const { workflowId, runId } = workflowInfo();
  let totals: PurgeTotals = { tickets: 0, messages: 0, media: 0, objects: 0, exports: 0 };
  let heldTicketIds: string[] = [];
  for (;;) {
    const batch = await purge.eraseContactBatch({ ...input, limit: BATCH_SIZE, workflowId });
    totals = add(totals, batch);
    heldTicketIds = batch.heldTicketIds;
    if (!batch.more) break;
  }
  const finished = await quick.finishErasure({
    ...input,
    workflowRun: `${workflowId}/${runId}`,
    totals,
    heldTicketIds,
  });
  return {
    ...totals,
    objects: totals.objects + finished.objects,
    exports: totals.exports + finished.exports,
    heldTicketIds,
    contactHeld: finished.contactHeld,
  };
}
