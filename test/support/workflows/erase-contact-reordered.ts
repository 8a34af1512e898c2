import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RetentionActivities } from '../../../activities/retention-types';
import type { EraseContactInput, EraseContactResult } from '../../../workflows/retention';

/**
 * A deliberately non-deterministic variant of eraseContact (workflows/retention.ts) for the replay
 * test: it deletes the contact's exports and writes the audit entry before erasing the tickets.
 * Replaying a recorded erasure against it must fail.
 */
const acts = proxyActivities<RetentionActivities>({ startToCloseTimeout: '1 minute' });

export async function eraseContact(input: EraseContactInput): Promise<EraseContactResult> {
  const { workflowId, runId } = workflowInfo();
  const totals = { tickets: 0, messages: 0, media: 0, objects: 0, exports: 0 };
  const finished = await acts.finishErasure({
    ...input,
    workflowRun: `${workflowId}/${runId}`,
    totals,
    heldTicketIds: [],
  });
  for (;;) {
    const batch = await acts.eraseContactBatch({ ...input, limit: 100, workflowId });
    if (!batch.more) break;
  }
  return { ...totals, heldTicketIds: [], contactHeld: finished.contactHeld };
}
