import {
  ApplicationFailure,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { ArchiveActivities } from '../activities/archive-types';
import {
  MEDIA_TEXT_QUEUE_SUFFIX,
  mediaTextTaskQueue,
  mediaTextWorkflowId,
  NON_RETRYABLE_ERRORS,
  SEARCH_ATTRIBUTE,
} from '../lib/temporal/contract';
import { extractMediaText } from './extract-media-text';

/**
 * archiveTicket: fetch a closed ticket from Blip, mirror its media, seal it with a digest and
 * index it. Input is ids only; message bodies and media bytes go straight from activities to the
 * stores, and every activity returns counts, so history stays small for a 10 000-message ticket.
 */
export interface ArchiveTicketInput {
  tenantId: string;
  ticketId: string;
}

export interface ArchiveTicketResult {
  ticketId: string;
  messageCount: number;
  mediaStored: number;
  mediaUnavailable: number;
  digest: string;
}

// Blip may report the ticket still open right after the Builder action fires: wait and ask again.
// Timeouts bound how long a ticket waits after its worker dies mid-activity (SIGKILL, OOM): the
// server only reschedules a lost attempt once its start-to-close or heartbeat timeout passes.
const fetchTicketActivities = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '1 minute',
  // A ticket still open a day later was not really closed: fail visibly (the last failure says
  // "still Open in Blip") and let an operator or the next webhook start it again.
  scheduleToCloseTimeout: '24 hours',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

const pagingActivities = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '3 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

/**
 * The mirror heartbeats at least once a second while bytes flow and after every item, so a silent
 * half minute means the worker is gone (killed, OOM, lost its network): another worker then
 * retries the batch. Activity options are not part of workflow determinism; changing them is safe
 * for running workflows.
 */
const MEDIA_HEARTBEAT_TIMEOUT = '30 seconds';

const mediaActivities = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: MEDIA_HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '3 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

const storeActivities = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// Typesense is derived data: if it is down, keep trying; the ticket is already safe in Postgres.
const indexActivities = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// fetchTicket + fetchMessages in one call: the fetch's day-long patience for a ticket Blip still
// reports open, the paging's heartbeat and time for a long thread.
const fetchAllActivities = proxyActivities<ArchiveActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '24 hours',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

/** Upper bound on mirror batches: a pathological ticket fails loudly instead of looping forever. */
const MAX_MEDIA_BATCHES = 2000;

/**
 * Runs started before this patch always called the mirror once, even for a ticket without media;
 * newer runs skip it (one activity fewer for most tickets). Replayed histories keep their path.
 */
const SKIP_MIRROR_WITHOUT_MEDIA = 'skip-mirror-without-media';

/**
 * Runs after this patch start extractMediaText (the text inside the media, issue 18) once the
 * ticket is sealed and indexed: a child on its own task queue, abandoned when the archive closes,
 * so the archive never waits for OCR and no OCR failure can fail an archive.
 */
const EXTRACT_MEDIA_TEXT = 'extract-media-text';

/**
 * Runs started before this patch fetched the ticket and its messages in two activities and sealed
 * and indexed in two more; newer runs call fetchTicketAndMessages and sealAndIndexTicket: two
 * activities (two workflow tasks, ~12 history events) fewer per ticket, the Temporal server being
 * what bounds archive throughput (docs/performance.md). Replayed histories keep their path.
 */
const FEWER_ROUND_TRIPS = 'fewer-archive-round-trips';

export async function archiveTicket(input: ArchiveTicketInput): Promise<ArchiveTicketResult> {
  const { tenantId, ticketId } = input;
  const combined = patched(FEWER_ROUND_TRIPS);
  let fetched: { messageCount: number; mediaCount: number; pendingMedia?: number };
  if (combined) {
    fetched = await fetchAllActivities.fetchTicketAndMessages({ tenantId, ticketId });
  } else {
    await fetchTicketActivities.fetchTicket({ tenantId, ticketId });
    fetched = await pagingActivities.fetchMessages({ tenantId, ticketId });
  }
  const { messageCount, mediaCount, pendingMedia } = fetched;

  let mediaStored = 0;
  let mediaUnavailable = 0;
  const mirrorNeeded = !(patched(SKIP_MIRROR_WITHOUT_MEDIA) && pendingMedia === 0);
  for (let batch = 0; mirrorNeeded; batch++) {
    if (batch >= MAX_MEDIA_BATCHES) {
      throw ApplicationFailure.nonRetryable(
        `ticket ${ticketId}: media still pending after ${batch} batches`,
        'MediaBacklog',
      );
    }
    const r = await mediaActivities.mirrorMediaBatch({ tenantId, ticketId });
    mediaStored += r.stored;
    mediaUnavailable += r.unavailable;
    if (r.remaining === 0) break;
  }

  let digest: string;
  if (combined) {
    ({ digest } = await indexActivities.sealAndIndexTicket({ tenantId, ticketId }));
  } else {
    ({ digest } = await storeActivities.sealTicket({ tenantId, ticketId }));
    await indexActivities.indexTicket({ tenantId, ticketId });
  }
  if (patched(EXTRACT_MEDIA_TEXT) && mediaCount > 0) await startMediaText(tenantId, ticketId);
  log.info('ticket archived', { tenantId, ticketId, messageCount, mediaStored, mediaUnavailable });
  return { ticketId, messageCount, mediaStored, mediaUnavailable, digest };
}

async function startMediaText(tenantId: string, ticketId: string): Promise<void> {
  const queue = workflowInfo().taskQueue;
  // A backfill's children run on the same queue; never stack the suffix twice.
  const taskQueue = queue.endsWith(MEDIA_TEXT_QUEUE_SUFFIX) ? queue : mediaTextTaskQueue(queue);
  try {
    await startChild(extractMediaText, {
      workflowId: mediaTextWorkflowId(tenantId, ticketId),
      taskQueue,
      args: [{ tenantId, ticketId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      // Found in the Temporal UI beside the archive: TenantId = … AND TicketId = ….
      searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [tenantId], [SEARCH_ATTRIBUTE.ticketId]: [ticketId] },
    });
  } catch (err) {
    // Already running for this ticket (an archive run again with --force): that run reads it.
    log.warn('media text not started', { tenantId, ticketId, error: (err as Error).message });
  }
}
