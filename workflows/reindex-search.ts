import {
  continueAsNew,
  defineQuery,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { OpsActivities, ReindexCursor, ReindexPlan } from '../activities/ops-types';
import { PROGRESS_QUERY } from '../lib/temporal/contract';

/**
 * reindexSearch: rebuilds Typesense from Postgres (the source of truth) with no downtime.
 * Full reindex: create `<alias>_v<N+1>` collections, fill them in batches while searches keep
 * using the live ones through the aliases, swap the aliases, drop the old collections, then catch
 * up the tickets archived or re-indexed while the rebuild ran and delete again those purged
 * meanwhile (the build may have copied them). With a tenant: re-upsert that
 * tenant's documents into the live collections.
 */
export interface ReindexInput {
  tenantId?: string;
  batchSize?: number;
  /** Carried across continue-as-new. */
  state?: ReindexState;
}

export interface ReindexProgress {
  phase: 'preparing' | 'building' | 'swapping' | 'catching-up' | 'done';
  tickets: number;
  messages: number;
  done: boolean;
  /** The collections being built (full reindex). */
  next: ReindexPlan['next'] | null;
}

interface ReindexState {
  phase: ReindexProgress['phase'];
  plan: ReindexPlan | null;
  cursor: ReindexCursor | null;
  tickets: number;
  messages: number;
}

export const reindexProgressQuery = defineQuery<ReindexProgress>(PROGRESS_QUERY);

const quick = proxyActivities<OpsActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const batches = proxyActivities<OpsActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function reindexSearch(input: ReindexInput = {}): Promise<ReindexProgress> {
  const limit = Math.max(1, input.batchSize ?? 200);
  const state: ReindexState = input.state ?? {
    phase: input.tenantId ? 'building' : 'preparing',
    plan: null,
    cursor: null,
    tickets: 0,
    messages: 0,
  };
  const progress = (): ReindexProgress => ({
    phase: state.phase,
    tickets: state.tickets,
    messages: state.messages,
    done: state.phase === 'done',
    next: state.plan?.next ?? null,
  });
  setHandler(reindexProgressQuery, progress);

  if (state.phase === 'preparing') {
    state.plan = await quick.reindexPrepare();
    state.phase = 'building';
  }

  const sweep = async (phase: 'building' | 'catching-up') => {
    while (state.phase === phase) {
      const r = await batches.reindexBatch({
        tenantId: input.tenantId,
        after: state.cursor,
        limit,
        target: phase === 'building' && state.plan ? state.plan.next : undefined,
        since: phase === 'catching-up' ? state.plan?.startedAt : undefined,
        // A full rebuild leaves indexed_at alone: the catch-up relies on it naming what changed since.
        markIndexed: phase === 'catching-up' || !state.plan,
      });
      state.tickets += r.tickets;
      state.messages += r.messages;
      state.cursor = r.next;
      if (!r.next) return;
      if (workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof reindexSearch>({ ...input, state });
      }
    }
  };

  // Tickets purged while the new collections were built may have been copied into them.
  // Workflows started before this step existed finish without it.
  const replayDeletions = async () => {
    if (state.plan && patched('reindex-replay-deletions'))
      await batches.reindexReplayDeletions({ since: state.plan.startedAt });
  };

  await sweep('building');
  if (state.phase === 'building') {
    if (state.plan) {
      state.phase = 'swapping';
      await quick.reindexSwap(state.plan);
      state.phase = 'catching-up';
      state.cursor = null;
      await sweep('catching-up');
      await replayDeletions();
    }
    state.phase = 'done';
  } else if (state.phase === 'catching-up') {
    await sweep('catching-up');
    await replayDeletions();
    state.phase = 'done';
  }
  log.info('reindex done', { tenantId: input.tenantId, tickets: state.tickets });
  return progress();
}
