import { ApplicationFailure } from '@temporalio/common';
import { writeAudit } from '../lib/db/audit';
import { contactTargetsOf } from '../lib/db/export-targets';
import { type Db, inTransaction } from '../lib/db/pool';
import { contactTicketIds, expiredTicketIds, isContactHeld, tenantsWithRetention } from '../lib/db/retention';
import { identityFingerprint, writeTombstone } from '../lib/retention/erasure-hash';
import {
  completeErasureRequest,
  type ErasureOutcome,
  ErasureRequestError,
  erasureOutcome,
  readErasureIdentity,
} from '../lib/retention/erasure-requests';
import { addCounts, emptyCounts, type PurgeDeps, purgeTicket } from '../lib/retention/purge';
import { trimRecentMessages } from '../lib/search/recent-messages';
import { heartbeat } from './activity-context';
import type { ErasureTarget, RetentionActivities } from './retention-types';

/**
 * Retention and erasure: each batch lists what may go (held tickets are never listed) and purges
 * ticket by ticket (lib/retention/purge.ts: search, GCS, then Postgres with the audit entry), so
 * a retried batch only finishes what a lost attempt began. Only ids and counts cross Temporal.
 */
export interface RetentionDeps extends PurgeDeps {
  /** SEARCH_TEXT_DEFAULT_MONTHS: the window the recent-messages collection is trimmed to. */
  textWindowMonths?: number;
}

const HELD_ID_LIMIT = 1000;

async function deleteContactExports(db: Db, deps: RetentionDeps, tenantId: string, identity: string) {
  const { rows } = await db.query<{ export_id: string; storage_key: string | null }>(
    `select export_id, storage_key from exports where tenant_id = $1 and kind = 'contact' and target = any($2::text[])`,
    [tenantId, contactTargetsOf(deps.box, tenantId, [identity])],
  );
  let objects = 0;
  for (const e of rows) {
    for (const key of new Set([
      `${tenantId}/exports/${e.export_id}.pdf`,
      ...(e.storage_key ? [e.storage_key] : []),
    ])) {
      if (await deps.store.head(key)) objects++;
      await deps.store.delete(key);
    }
    heartbeat();
  }
  const deleted = await db.query('delete from exports where tenant_id = $1 and export_id = any($2::uuid[])', [
    tenantId,
    rows.map((r) => r.export_id),
  ]);
  return { exports: deleted.rowCount ?? 0, objects };
}

/**
 * The contact to erase: opened from the stored request, or (workflows started before requests were
 * stored) carried in the input. A missing or unopenable request will not appear on a retry: non-retryable.
 */
async function identityOf(deps: RetentionDeps, t: ErasureTarget): Promise<string> {
  if (t.identity !== undefined) return t.identity;
  if (t.requestId === undefined)
    throw ApplicationFailure.nonRetryable(
      'erasure input names neither a request nor an identity',
      'BadErasureInput',
    );
  try {
    return await readErasureIdentity(deps.db, deps.box, t.tenantId, t.requestId);
  } catch (err) {
    if (err instanceof ErasureRequestError || (err as Error).name === 'SecretBoxError')
      throw ApplicationFailure.nonRetryable((err as Error).message, 'BadErasureRequest');
    throw err;
  }
}

export function createRetentionActivities(deps: RetentionDeps): RetentionActivities {
  return {
    async listRetentionTenants() {
      return tenantsWithRetention(deps.db);
    },

    async trimRecentMessages() {
      return { deleted: await trimRecentMessages(deps.search, deps.collections, deps.textWindowMonths) };
    },

    async purgeExpiredBatch({ tenantId, now, limit, workflowId }) {
      const ids = await expiredTicketIds(deps.db, tenantId, new Date(now), limit);
      let totals = emptyCounts();
      let held = 0;
      for (const [i, ticketId] of ids.entries()) {
        heartbeat({ done: i, of: ids.length });
        const outcome = await purgeTicket(
          deps,
          {
            tenantId,
            ticketId,
            actor: 'system:retention',
            action: 'ticket.retention-delete',
            details: { workflowId, runAt: now },
          },
          heartbeat,
        );
        totals = addCounts(totals, outcome.counts);
        if (outcome.status === 'held') held++;
      }
      return { ...totals, held, more: ids.length === limit };
    },

    async eraseContactBatch(input) {
      const { tenantId, requestedBy, limit, workflowId } = input;
      const identity = await identityOf(deps, input);
      const all = await contactTicketIds(deps.db, tenantId, identity);
      const heldTicketIds = all.filter((t) => t.held).map((t) => t.ticketId);
      const unheld = all.filter((t) => !t.held);
      const batch = unheld.slice(0, limit);
      let totals = emptyCounts();
      for (const [i, { ticketId }] of batch.entries()) {
        heartbeat({ done: i, of: batch.length });
        const outcome = await purgeTicket(
          deps,
          {
            tenantId,
            ticketId,
            actor: requestedBy,
            action: 'ticket.erase',
            details: {
              workflowId,
              reason: 'erasure request',
              contact: identityFingerprint(deps.box, tenantId, identity),
            },
            tombstone: true,
          },
          heartbeat,
        );
        totals = addCounts(totals, outcome.counts);
        if (outcome.status === 'held') heldTicketIds.push(ticketId);
      }
      return {
        ...totals,
        heldTicketIds: heldTicketIds.slice(0, HELD_ID_LIMIT),
        more: unheld.length > batch.length,
      };
    },

    async finishErasure(input) {
      const { tenantId, requestedBy, workflowRun, totals, heldTicketIds } = input;
      // A retry after the attempt that finished (and dropped the identity) lost its answer.
      if (input.requestId !== undefined) {
        const done = await erasureOutcome(deps.db, tenantId, input.requestId);
        if (done)
          return {
            exports: done.removedExports ?? 0,
            objects: done.removedObjects ?? 0,
            contactHeld: Boolean(done.contactHeld),
          };
      }
      const identity = await identityOf(deps, input);
      const contactHeld = await isContactHeld(deps.db, tenantId, identity);
      // A contact PDF prints every ticket of the contact: it goes unless the contact itself is held.
      const removed = contactHeld
        ? { exports: 0, objects: 0 }
        : await deleteContactExports(deps.db, deps, tenantId, identity);
      if (!contactHeld)
        await writeTombstone(deps.db, deps.box, { tenantId, kind: 'contact', value: identity });
      const contactHash = identityFingerprint(deps.box, tenantId, identity);
      const outcome: ErasureOutcome = {
        tickets: totals.tickets,
        messages: totals.messages,
        media: totals.media,
        objects: totals.objects + removed.objects,
        exports: totals.exports + removed.exports,
        contactHeld,
        heldTickets: heldTicketIds.length,
        removedExports: removed.exports,
        removedObjects: removed.objects,
      };
      await inTransaction(deps.db, async (q) => {
        // Written once per workflow run: a retried activity finds its own entry and leaves it.
        const { rowCount } = await q.query(
          `select 1 from audit_log where tenant_id = $1 and action = 'contact.erase' and details->>'workflowRun' = $2`,
          [tenantId, workflowRun],
        );
        if (!rowCount) {
          await writeAudit(q, {
            tenantId,
            actor: requestedBy,
            action: 'contact.erase',
            target: `contact:${contactHash}`,
            details: {
              workflowRun,
              tickets: outcome.tickets,
              messages: outcome.messages,
              media: outcome.media,
              objects: outcome.objects,
              exports: outcome.exports,
              contactHeld,
              heldTicketIds,
            },
          });
        }
        // The erasure is done: the request keeps the proof (fingerprint, time, counts), not the person.
        if (input.requestId !== undefined)
          await completeErasureRequest(q, { tenantId, requestId: input.requestId, contactHash, outcome });
      });
      return { ...removed, contactHeld };
    },
  };
}
