/** The ops activities' contract (backfill listing, search reindex), shared with the workflows as types. */
import type { CollectionNames } from '../lib/search/schema';

export interface ClosedTicketsPageInput {
  tenantId: string;
  /** ISO instants: Blip's storageDate range. */
  from: string;
  to: string;
  skip: number;
  take: number;
}

export interface ClosedTicketsPage {
  /** Tickets of this page Postgres does not hold as archived, in Blip's order. */
  ticketIds: string[];
  /** Tickets Blip listed on this page. */
  listed: number;
  /** Of those, already archived or erased (skipped; an erased ticket is never imported again). */
  alreadyArchived: number;
  nextSkip: number;
  /** No page after this one. */
  last: boolean;
}

export interface ReindexPlan {
  /** Postgres time when the rebuild started: what was archived or indexed after it is caught up. */
  startedAt: string;
  /** What the aliases point at now. */
  current: CollectionNames;
  /** The versioned collections being built. */
  next: CollectionNames;
}

export interface ReindexCursor {
  tenantId: string;
  ticketId: string;
}

export interface ReindexBatchInput {
  /** Only this tenant's tickets. */
  tenantId?: string;
  after: ReindexCursor | null;
  limit: number;
  /** Write into these collections; absent = the live aliases. */
  target?: CollectionNames;
  /** Only tickets archived or indexed at or after this instant (the catch-up after a swap). */
  since?: string;
  /** Record indexed_at on each ticket (per-tenant reindex and catch-up). */
  markIndexed: boolean;
}

export interface ReindexBatchResult {
  tickets: number;
  messages: number;
  /** Where the next batch starts; null when this was the last. */
  next: ReindexCursor | null;
}

export interface OpsActivities {
  listClosedTicketsPage(input: ClosedTicketsPageInput): Promise<ClosedTicketsPage>;
  reindexPrepare(): Promise<ReindexPlan>;
  reindexBatch(input: ReindexBatchInput): Promise<ReindexBatchResult>;
  /** Points the aliases at the new collections and drops the old ones. */
  reindexSwap(plan: ReindexPlan): Promise<{ dropped: string[] }>;
  /**
   * After the swap: deletes from the live collections every ticket purged since the rebuild
   * started (the build may have copied it before the purge committed).
   */
  reindexReplayDeletions(input: { since: string }): Promise<{ tickets: number }>;
}
