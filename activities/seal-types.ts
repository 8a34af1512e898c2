/** The seal activities' contract (re-sealing v1 tickets as v2), shared with the workflow as types. */

export interface ResealCursor {
  tenantId: string;
  ticketId: string;
}

export interface ResealBatchInput {
  /** Only this tenant's tickets; absent = every tenant. */
  tenantId?: string;
  after: ResealCursor | null;
  limit: number;
}

export interface ResealBatchResult {
  /** v1 tickets given a v2 seal by this batch. */
  resealed: number;
  /** Tickets that could not be sealed (bounded list, with the reason). */
  failed: Array<{ tenantId: string; ticketId: string; error: string }>;
  /** Where the next batch starts; null when this was the last. */
  next: ResealCursor | null;
}

export interface SealActivities {
  resealBatch(input: ResealBatchInput): Promise<ResealBatchResult>;
}
