import { ApplicationFailure } from '@temporalio/common';
import type { ArchiveActivities, TicketRef } from '../../activities/archive-types';
import type { ExportActivities, ExportResult } from '../../activities/export-types';
import type {
  ClosedTicketsPage,
  ClosedTicketsPageInput,
  OpsActivities,
  ReindexBatchInput,
  ReindexPlan,
} from '../../activities/ops-types';
import type {
  EraseBatchInput,
  EraseSummaryInput,
  RetentionActivities,
  RetentionBatchInput,
} from '../../activities/retention-types';

/**
 * In-memory stand-ins for the activities, for workflow tests and for recording histories
 * (record-history.ts). They honour each activity's contract (activities/*-types.ts) over a tiny
 * model of the stores, and log what they were asked, so a test can check what the workflow did
 * and in which order. The activities themselves are tested against the real services elsewhere.
 */

/** archiveTicket's activities over a set of archived tickets. */
export function fakeArchive(
  options: {
    /** Tickets Blip does not have: fetchTicket fails non-retryably, as the real one does. */
    missing?: Set<string>;
    /** Tickets whose fetch waits for this promise (an archive held running). */
    gate?: Map<string, Promise<void>>;
    /** Media batches each ticket needs (default none). */
    mediaBatches?: number;
  } = {},
) {
  const sealed = new Map<string, number>();
  const calls: string[] = [];
  const mirrored = new Map<string, number>();
  const single: Omit<ArchiveActivities, 'fetchTicketAndMessages' | 'sealAndIndexTicket'> = {
    async fetchTicket({ ticketId }: TicketRef) {
      calls.push(`fetchTicket ${ticketId}`);
      await options.gate?.get(ticketId);
      if (options.missing?.has(ticketId))
        throw ApplicationFailure.nonRetryable(`ticket ${ticketId} not found in Blip`, 'BlipNotFoundError');
      return { tunnel: false, status: 'Closed' };
    },
    async fetchMessages({ ticketId }: TicketRef) {
      calls.push(`fetchMessages ${ticketId}`);
      const media = options.mediaBatches ?? 0;
      return { messageCount: 3, mediaCount: media, pages: 1, pendingMedia: media };
    },
    async mirrorMediaBatch({ ticketId }: TicketRef) {
      calls.push(`mirrorMediaBatch ${ticketId}`);
      const done = (mirrored.get(ticketId) ?? 0) + 1;
      mirrored.set(ticketId, done);
      return { stored: 1, unavailable: 0, remaining: Math.max(0, (options.mediaBatches ?? 0) - done) };
    },
    async sealTicket({ ticketId }: TicketRef) {
      calls.push(`sealTicket ${ticketId}`);
      sealed.set(ticketId, (sealed.get(ticketId) ?? 0) + 1);
      return { digest: `sha256:fake-${ticketId}` };
    },
    async indexTicket({ ticketId }: TicketRef) {
      calls.push(`indexTicket ${ticketId}`);
      return { indexedMessages: 3 };
    },
  };
  // The pairs the workflow calls since `fewer-archive-round-trips`, made of the same calls.
  const activities: ArchiveActivities = {
    ...single,
    async fetchTicketAndMessages(ref: TicketRef) {
      await single.fetchTicket(ref);
      const r = await single.fetchMessages(ref);
      return { ...r, pendingMedia: r.pendingMedia ?? 0 };
    },
    async sealAndIndexTicket(ref: TicketRef) {
      const sealedTicket = await single.sealTicket(ref);
      return { ...sealedTicket, ...(await single.indexTicket(ref)) };
    },
  };
  return { activities, sealed, calls };
}

/** Blip's closed-ticket listing over `ticketIds` (in Blip's order); `archived` ones are skipped. */
export function fakeListing(ticketIds: string[], archived: Set<string> = new Set()) {
  const pages: ClosedTicketsPageInput[] = [];
  const listClosedTicketsPage = async (input: ClosedTicketsPageInput): Promise<ClosedTicketsPage> => {
    pages.push(input);
    const page = ticketIds.slice(input.skip, input.skip + input.take);
    const nextSkip = input.skip + page.length;
    return {
      ticketIds: page.filter((id) => !archived.has(id)),
      listed: page.length,
      alreadyArchived: page.filter((id) => archived.has(id)).length,
      nextSkip,
      last: nextSkip >= ticketIds.length,
    };
  };
  return { listClosedTicketsPage, pages };
}

/** reindexSearch's activities over `tickets` tickets of one message each. */
export function fakeReindex(tickets: number) {
  const calls: string[] = [];
  const plan: ReindexPlan = {
    startedAt: '2025-06-02T09:00:00.000Z',
    current: { tickets: 'tickets_v1', messages: 'messages_v1', messagesRecent: 'messages_recent_v1' },
    next: { tickets: 'tickets_v2', messages: 'messages_v2', messagesRecent: 'messages_recent_v2' },
  };
  const ids = Array.from({ length: tickets }, (_, i) => `t${String(i).padStart(4, '0')}`);
  const activities: Pick<OpsActivities, 'reindexPrepare' | 'reindexBatch' | 'reindexSwap'> = {
    async reindexPrepare() {
      calls.push('prepare');
      return plan;
    },
    async reindexBatch(input: ReindexBatchInput) {
      const phase = input.since ? 'catch-up' : input.target ? 'build' : 'tenant';
      calls.push(`batch ${phase} after ${input.after?.ticketId ?? '-'}`);
      // The catch-up finds the one ticket archived while the rebuild ran.
      const pool = input.since ? ids.slice(-1) : ids;
      const start = input.after ? pool.indexOf(input.after.ticketId) + 1 : 0;
      const batch = pool.slice(start, start + input.limit);
      const lastId = batch.at(-1);
      const more = start + batch.length < pool.length;
      return {
        tickets: batch.length,
        messages: batch.length,
        next: more && lastId ? { tenantId: 'tenant-a', ticketId: lastId } : null,
      };
    },
    async reindexSwap() {
      calls.push('swap');
      return { dropped: ['tickets_v1', 'messages_v1'] };
    },
  };
  return { activities, calls, plan };
}

export interface FakeTicket {
  id: string;
  tenantId: string;
  contact: string;
  /** Days before the run's `now` the ticket closed. */
  closedDaysAgo: number;
  held?: boolean;
}

/**
 * The retention and erasure activities over a list of tickets: a ticket goes when it is expired
 * (retention) or the contact's (erasure) and not held; every deletion is logged in order.
 */
export function fakeRetention(options: {
  tickets: FakeTicket[];
  /** Retention days per tenant (tenants without one are not listed). */
  retentionDays: Record<string, number>;
  /** Contacts on hold: finishErasure keeps their exports. */
  heldContacts?: Set<string>;
  /** Tenants whose purge fails (non-retryably). */
  failingTenants?: Set<string>;
  /** Tenants whose purge waits for this promise. */
  gate?: Map<string, Promise<void>>;
  /** Stored erasure requests: request id → identity (workflows started with a requestId). */
  requests?: Record<string, string>;
}) {
  const who = (i: { identity?: string; requestId?: string }) =>
    i.identity ?? options.requests?.[i.requestId ?? ''] ?? '';
  const deleted = new Set<string>();
  /** `ticket <id>` per ticket deleted, `exports <contact>` when the erasure finishes, in order. */
  const log: string[] = [];
  const batches: RetentionBatchInput[] = [];
  const summaries: EraseSummaryInput[] = [];
  const totals = (n: number) => ({ tickets: n, messages: 2 * n, media: n, objects: n, exports: 0 });
  const take = (match: (t: FakeTicket) => boolean, limit: number) => {
    const gone = options.tickets.filter((t) => !deleted.has(t.id) && !t.held && match(t)).slice(0, limit);
    for (const t of gone) {
      deleted.add(t.id);
      log.push(`ticket ${t.id}`);
    }
    return gone.length;
  };
  const activities: RetentionActivities = {
    async listRetentionTenants() {
      return Object.keys(options.retentionDays).sort();
    },
    async trimRecentMessages() {
      return { deleted: 0 };
    },
    async purgeExpiredBatch(input: RetentionBatchInput) {
      batches.push(input);
      await options.gate?.get(input.tenantId);
      if (options.failingTenants?.has(input.tenantId))
        throw ApplicationFailure.nonRetryable(`tenant ${input.tenantId} disabled`, 'TenantDisabled');
      const days = options.retentionDays[input.tenantId] ?? Number.POSITIVE_INFINITY;
      const n = take((t) => t.tenantId === input.tenantId && t.closedDaysAgo > days, input.limit);
      const held = options.tickets.filter(
        (t) => t.held && t.tenantId === input.tenantId && t.closedDaysAgo > days,
      ).length;
      return { ...totals(n), held: n < input.limit ? held : 0, more: n === input.limit };
    },
    async eraseContactBatch(input: EraseBatchInput) {
      const identity = who(input);
      const mine = (t: FakeTicket) => t.tenantId === input.tenantId && t.contact === identity;
      if (options.heldContacts?.has(identity))
        return { ...totals(0), heldTicketIds: options.tickets.filter(mine).map((t) => t.id), more: false };
      const n = take(mine, input.limit);
      const heldTicketIds = options.tickets.filter((t) => t.held && mine(t)).map((t) => t.id);
      return { ...totals(n), heldTicketIds, more: n === input.limit };
    },
    async finishErasure(input: EraseSummaryInput) {
      summaries.push(input);
      const contactHeld = options.heldContacts?.has(who(input)) ?? false;
      if (!contactHeld) log.push(`exports ${who(input)}`);
      return { exports: contactHeld ? 0 : 2, objects: contactHeld ? 0 : 2, contactHeld };
    },
  };
  return { activities, deleted, log, batches, summaries };
}

/** The export activities over an exports table: `fail` makes every render throw it. */
export function fakeExports(options: { fail?: Error } = {}) {
  const exports = new Map<string, { status: 'running' | 'done' | 'failed'; error?: string }>();
  let renders = 0;
  const activities: ExportActivities = {
    async renderExportPdf({ exportId }): Promise<ExportResult> {
      renders++;
      exports.set(exportId, { status: 'running' });
      if (options.fail) throw options.fail;
      exports.set(exportId, { status: 'done' });
      return { exportId, sha256: `sha256:pdf-${exportId}`, pages: 2, size: 4096, messageCount: 5 };
    },
    async markExportFailed({ exportId, error }) {
      exports.set(exportId, { status: 'failed', error });
    },
  };
  return { activities, exports, renders: () => renders };
}
