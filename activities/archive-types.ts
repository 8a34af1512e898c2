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
  sealTicket(ref: TicketRef): Promise<{ digest: string }>;
  indexTicket(ref: TicketRef): Promise<{ indexedMessages: number }>;
}
