import { log, proxyActivities } from '@temporalio/workflow';
import type { MediaTextActivities, MediaTextBatchResult } from '../activities/media-text-types';

/**
 * extractMediaText: after a ticket is sealed, reads the text inside its stored images and
 * documents (lib/media-text/) and indexes the ticket again so a search finds it (issue 18).
 * Started by archiveTicket as an abandoned child on the `<queue>-media-text` task queue, served
 * by workers with their own low concurrency (MEDIA_TEXT_CONCURRENCY), so OCR never holds up an
 * archive; a file that cannot be read is recorded with why and the workflow still completes.
 * Its id is `media-text/<tenant>/<ticket>` (mediaTextWorkflowId).
 */
export interface ExtractMediaTextInput {
  tenantId: string;
  ticketId: string;
}

export interface ExtractMediaTextResult {
  read: number;
  ok: number;
  notOk: number;
}

// A file is bounded by MEDIA_TEXT_TIMEOUT_SECONDS and the activity heartbeats while it reads; an
// engine missing on one worker or an unreachable store retries (forever: the text is derived data).
const extract = proxyActivities<MediaTextActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

const index = proxyActivities<MediaTextActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Batches per run: a ticket with more media than this × the batch size ends, noting it. */
const MAX_BATCHES = 500;

export async function extractMediaText(input: ExtractMediaTextInput): Promise<ExtractMediaTextResult> {
  const { tenantId, ticketId } = input;
  const total: ExtractMediaTextResult = { read: 0, ok: 0, notOk: 0 };
  let after: string | null = null;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const r: MediaTextBatchResult = await extract.extractMediaTextBatch({ tenantId, ticketId, after });
    total.read += r.read;
    total.ok += r.ok;
    total.notOk += r.notOk;
    if (r.next === null) break;
    after = r.next;
  }
  if (total.ok > 0) await index.indexMediaText({ tenantId, ticketId });
  log.info('media text read', { tenantId, ticketId, ...total });
  return total;
}
