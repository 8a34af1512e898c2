/** The media-text activities' contract (issue 18), shared by the workflow (types only) and the implementation. */
export interface MediaTextBatchInput {
  tenantId: string;
  ticketId: string;
  /** Resume after this sha-256 (the previous batch's `next`). */
  after?: string | null;
}

export interface MediaTextBatchResult {
  read: number;
  ok: number;
  notOk: number;
  next: string | null;
}

export interface MediaTextActivities {
  /**
   * Reads the text of up to a few stored images and documents of the ticket that this engine
   * version has not read (content-addressed: an object read for another ticket is skipped).
   * Outcomes (ok, unreadable, timeout, failed) are recorded; only an engine missing on this worker
   * or a store that cannot be reached throws (and is retried).
   */
  extractMediaTextBatch(input: MediaTextBatchInput): Promise<MediaTextBatchResult>;
  /** Indexes the ticket again so its messages carry the text of their media (lib/search/indexer.ts). */
  indexMediaText(input: { tenantId: string; ticketId: string }): Promise<{ indexedMessages: number }>;
}
