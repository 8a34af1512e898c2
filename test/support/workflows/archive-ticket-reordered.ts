import { proxyActivities } from '@temporalio/workflow';
import type { ArchiveActivities } from '../../../activities/archive-types';
import type { ArchiveTicketInput, ArchiveTicketResult } from '../../../workflows/archive-ticket';

/**
 * A deliberately non-deterministic variant of workflows/archive-ticket.ts for the replay test:
 * same name and activities, but it pages messages before fetching the ticket. Replaying a
 * recorded history against it must fail, which proves the replay test can catch such a change.
 */
const acts = proxyActivities<ArchiveActivities>({ startToCloseTimeout: '1 minute' });

export async function archiveTicket(input: ArchiveTicketInput): Promise<ArchiveTicketResult> {
  const { messageCount } = await acts.fetchMessages(input);
  await acts.fetchTicket(input);
  let mediaStored = 0;
  let mediaUnavailable = 0;
  for (;;) {
    const r = await acts.mirrorMediaBatch(input);
    mediaStored += r.stored;
    mediaUnavailable += r.unavailable;
    if (r.remaining === 0) break;
  }
  const { digest } = await acts.sealTicket(input);
  await acts.indexTicket(input);
  return { ticketId: input.ticketId, messageCount, mediaStored, mediaUnavailable, digest };
}
