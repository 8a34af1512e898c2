/** The retention and erasure activities' contract, shared by the workflows (types only) and the implementation. */
export interface PurgeTotals {
  tickets: number;
  messages: number;
  media: number;
  /** GCS objects deleted: media no longer referenced by the tenant, and export PDFs. */
  objects: number;
  exports: number;
}

export interface RetentionBatchInput {
  tenantId: string;
  /** ISO time the run started; tickets closed before this minus the tenant's retention go. */
  now: string;
  limit: number;
  workflowId: string;
}

export interface RetentionBatchResult extends PurgeTotals {
  /** Tickets that a hold placed during the batch saved. */
  held: number;
  /** True when the batch was full: more expired tickets may remain. */
  more: boolean;
}

/**
 * Which contact: `requestId` of the stored erasure request (the identity is read and opened by the
 * activity), or, in workflows started before requests were stored, the `identity` itself.
 */
export interface ErasureTarget {
  tenantId: string;
  requestId?: string;
  identity?: string;
}

export interface EraseBatchInput extends ErasureTarget {
  requestedBy: string;
  limit: number;
  workflowId: string;
}

export interface EraseBatchResult extends PurgeTotals {
  /** Ids of the contact's tickets that a hold keeps (at most 1000). */
  heldTicketIds: string[];
  more: boolean;
}

export interface EraseSummaryInput extends ErasureTarget {
  requestedBy: string;
  /** `<workflow id>/<run id>`: the audit entry is written once per run. */
  workflowRun: string;
  totals: PurgeTotals;
  heldTicketIds: string[];
}

export interface RetentionActivities {
  /** Tenants with a retention set. */
  listRetentionTenants(): Promise<string[]>;
  /**
   * Deletes from the recent-messages collection the documents sent before its window
   * (lib/search/recent-messages.ts), every tenant's at once; returns how many went.
   */
  trimRecentMessages(): Promise<{ deleted: number }>;
  /** Deletes up to `limit` expired, unheld tickets of one tenant (heartbeats per ticket). */
  purgeExpiredBatch(input: RetentionBatchInput): Promise<RetentionBatchResult>;
  /** Deletes up to `limit` unheld tickets of one contact (heartbeats per ticket). */
  eraseContactBatch(input: EraseBatchInput): Promise<EraseBatchResult>;
  /** Deletes the contact's remaining contact exports (unless held) and writes the erasure's audit entry. */
  finishErasure(
    input: EraseSummaryInput,
  ): Promise<{ exports: number; objects: number; contactHeld: boolean }>;
}
