/** The archive activities' contract, shared by the workflow (as types only) and the implementations. */
export interface TicketRef {
  tenantId: string;
  ticketId: string;
}

export interface MediaBatchResult {
  stored: number;
  unavailable: number;
  /** Media still pending after this batch; the workflow calls again until 0. */
  remaining: number;
}

export interface ArchiveActivities {
  /** Ticket + contact (+ tunnel originator) → Postgres. Retryable "TicketStillOpen" while Blip says open. */
  fetchTicket(ref: TicketRef): Promise<{ tunnel: boolean; status: string }>;
  /** All message pages → Postgres (never through history), media refs recorded as pending. */
  /** `pendingMedia`: media rows of the ticket still to mirror (absent in runs before it existed). */
  fetchMessages(
    ref: TicketRef,
  ): Promise<{ messageCount: number; mediaCount: number; pages: number; pendingMedia?: number }>;
  mirrorMediaBatch(ref: TicketRef): Promise<MediaBatchResult>;
  /**
   * Writes the v1 digest (tickets.digest) and appends a v2 seal when the ticket's content differs
   * from its latest seal (docs/evidence.md). `digest` stays the v1 digest.
   */
  sealTicket(ref: TicketRef): Promise<{ digest: string; sealId?: string; root?: string }>;
  indexTicket(ref: TicketRef): Promise<{ indexedMessages: number }>;
  /**
   * fetchTicket then fetchMessages in one activity (one Temporal round trip instead of two):
   * both are idempotent upserts, so a retry of the pair repeats nothing that matters.
   */
  fetchTicketAndMessages(
    ref: TicketRef,
  ): Promise<{ messageCount: number; mediaCount: number; pages: number; pendingMedia: number }>;
  /** sealTicket then indexTicket in one activity; a retry finds the same seal and re-indexes. */
  sealAndIndexTicket(
    ref: TicketRef,
  ): Promise<{ digest: string; sealId?: string; root?: string; indexedMessages: number }>;
}
