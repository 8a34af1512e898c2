import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  continueAsNew,
  defineQuery,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { OpsActivities } from '../activities/ops-types';
import {
  archiveWorkflowId,
  NON_RETRYABLE_ERRORS,
  PROGRESS_QUERY,
  SEARCH_ATTRIBUTE,
} from '../lib/temporal/contract';
import { archiveTicket } from './archive-ticket';

/**
 * backfillTenant: archives a tenant's closed tickets that Blip still lists for a storage-date range.
 * One activity call reads one bounded page of `/tickets/history/metadata`; each ticket Postgres
 * does not hold yet is archived as a child `archiveTicket` (id `archive/<tenant>/<ticket>`, so a
 * webhook for the same ticket joins instead of archiving twice), at most `concurrency` at once.
 * Every `continueAsNewEvery` tickets the run drains its children and continues as new carrying the
 * cursor and the counters, so history stays small for any number of tickets.
 */
export interface BackfillCounters {
  /** Tickets Blip listed in the range so far. */
  listed: number;
  /** Already archived in Postgres: skipped. */
  skipped: number;
  /** Child archives started. */
  started: number;
  archived: number;
  failed: number;
  /** Archive already running under its id (a webhook got there first): left to that run. */
  joined: number;
}

export interface BackfillProgress extends BackfillCounters {
  done: boolean;
  /** Blip listing offset of the next page. */
  cursor: number;
  /** Runs so far (1 + continue-as-new count). */
  run: number;
}

export interface BackfillInput {
  tenantId: string;
  /** ISO instants. */
  from: string;
  to: string;
  pageSize?: number;
  concurrency?: number;
  continueAsNewEvery?: number;
  /** Carried across continue-as-new. */
  state?: { cursor: number; run: number; counters: BackfillCounters };
}

export const progressQuery = defineQuery<BackfillProgress>(PROGRESS_QUERY);

const listing = proxyActivities<OpsActivities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

export async function backfillTenant(input: BackfillInput): Promise<BackfillProgress> {
  const { tenantId, from, to } = input;
  const pageSize = input.pageSize ?? 50;
  const concurrency = Math.max(1, input.concurrency ?? 10);
  const every = Math.max(1, input.continueAsNewEvery ?? 500);
  const counters: BackfillCounters = input.state?.counters ?? {
    listed: 0,
    skipped: 0,
    started: 0,
    archived: 0,
    failed: 0,
    joined: 0,
  };
  let cursor = input.state?.cursor ?? 0;
  const run = input.state?.run ?? 1;
  let done = false;
  setHandler(progressQuery, () => ({ ...counters, done, cursor, run }));

  const inFlight = new Set<Promise<void>>();
  async function archiveOne(ticketId: string): Promise<void> {
    try {
      const child = await startChild(archiveTicket, {
        workflowId: archiveWorkflowId(tenantId, ticketId),
        args: [{ tenantId, ticketId }],
        // A closed run whose ticket Postgres does not hold (it failed) may run again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        // Archives are worth finishing even when the backfill itself is cancelled.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        searchAttributes: {
          [SEARCH_ATTRIBUTE.tenantId]: [tenantId],
          [SEARCH_ATTRIBUTE.ticketId]: [ticketId],
        },
      });
      counters.started++;
      await child.result();
      counters.archived++;
    } catch (err) {
      if (
        err instanceof WorkflowExecutionAlreadyStartedError ||
        (err as Error).name === 'WorkflowExecutionAlreadyStartedError'
      ) {
        counters.joined++;
        return;
      }
      counters.failed++;
      log.warn('backfill: archive failed', { tenantId, ticketId, error: (err as Error).message });
    }
  }

  let sinceStart = 0;
  for (;;) {
    const page = await listing.listClosedTicketsPage({ tenantId, from, to, skip: cursor, take: pageSize });
    counters.listed += page.listed;
    counters.skipped += page.alreadyArchived;
    for (const ticketId of page.ticketIds) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const p: Promise<void> = archiveOne(ticketId).finally(() => inFlight.delete(p));
      inFlight.add(p);
      sinceStart++;
    }
    cursor = page.nextSkip;
    if (page.last) break;
    if (sinceStart >= every || workflowInfo().continueAsNewSuggested) {
      // Children belong to this run: let them finish so the counters carried over are final.
      await Promise.all(inFlight);
      await continueAsNew<typeof backfillTenant>({ ...input, state: { cursor, run: run + 1, counters } });
    }
  }
  await Promise.all(inFlight);
  done = true;
  log.info('backfill done', { tenantId, from, to, ...counters });
  return { ...counters, done, cursor, run };
}
