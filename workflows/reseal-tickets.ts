import { continueAsNew, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ResealCursor, SealActivities } from '../activities/seal-types';
import { PROGRESS_QUERY } from '../lib/temporal/contract';

/**
 * resealTickets: gives every v1 ticket (of one tenant, or all) a v2 seal, in batches, keeping its
 * v1 digest. Started by `ticket-vault reseal <tenant>|--all`; safe to run again (sealed tickets
 * are skipped). Continues as new every few hundred batches to keep its history short.
 */
export interface ResealInput {
  tenantId?: string;
  batchSize?: number;
  state?: ResealState;
}

export interface ResealProgress {
  resealed: number;
  failed: number;
  /** The last failures (bounded), with their reason. */
  failures: Array<{ tenantId: string; ticketId: string; error: string }>;
  done: boolean;
}

interface ResealState {
  cursor: ResealCursor | null;
  resealed: number;
  failed: number;
  failures: ResealProgress['failures'];
}

export const resealProgressQuery = defineQuery<ResealProgress>(PROGRESS_QUERY);

const batches = proxyActivities<SealActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const BATCHES_PER_RUN = 200;

export async function resealTickets(input: ResealInput = {}): Promise<ResealProgress> {
  const limit = Math.max(1, input.batchSize ?? 100);
  const state: ResealState = input.state ?? { cursor: null, resealed: 0, failed: 0, failures: [] };
  let done = false;
  setHandler(resealProgressQuery, () => ({ ...state, done }));
  for (let i = 0; i < BATCHES_PER_RUN; i++) {
    const r = await batches.resealBatch({ tenantId: input.tenantId, after: state.cursor, limit });
    state.resealed += r.resealed;
    state.failed += r.failed.length;
    state.failures = [...state.failures, ...r.failed].slice(-20);
    state.cursor = r.next;
    if (!r.next) {
      done = true;
      return { ...state, done };
    }
  }
  return continueAsNew<typeof resealTickets>({ ...input, state });
}
