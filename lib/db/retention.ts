import type { SecretBox } from '../crypto/secret-box';
import { auditTargetOf } from '../retention/erasure-hash';
import { writeAudit } from './audit';
import type { Db } from './pool';

/**
 * Retention settings and legal holds (migration 004). A hold on a ticket, or on a contact identity
 * (matched against the ticket's customer, contact and tunnel originator identities), blocks both
 * retention and erasure of the tickets it covers. Holds are released, never deleted.
 */

export type HoldKind = 'ticket' | 'contact';

export interface LegalHold {
  holdId: number;
  tenantId: string;
  kind: HoldKind;
  target: string;
  reason: string;
  createdBy: string;
  createdAt: Date;
  releasedAt: Date | null;
  releasedBy: string | null;
}

export class RetentionAdminError extends Error {
  override name = 'RetentionAdminError';
}

async function requireTenant(db: Db, tenantId: string): Promise<void> {
  const { rowCount } = await db.query('select 1 from tenants where tenant_id = $1', [tenantId]);
  if (!rowCount) throw new RetentionAdminError(`unknown tenant ${tenantId}`);
}

/** Sets a tenant's retention in days; null keeps its tickets forever (the default). Audited. */
export async function setRetentionDays(
  db: Db,
  tenantId: string,
  days: number | null,
  actor: string,
): Promise<void> {
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > 365_000))
    throw new RetentionAdminError('retention must be a whole number of days (1 or more), or none');
  await requireTenant(db, tenantId);
  const { rows } = await db.query<{ previous: number | null }>(
    `update tenants t set retention_days = $2, updated_at = now()
       from (select retention_days as previous from tenants where tenant_id = $1 for update) p
      where t.tenant_id = $1
     returning p.previous`,
    [tenantId, days],
  );
  await writeAudit(db, {
    tenantId,
    actor,
    action: 'retention.set',
    target: tenantId,
    details: { retentionDays: days, previous: rows[0]?.previous ?? null },
  });
}

export async function getRetentionDays(db: Db, tenantId: string): Promise<number | null> {
  const { rows } = await db.query<{ retention_days: number | null }>(
    'select retention_days from tenants where tenant_id = $1',
    [tenantId],
  );
  return rows[0]?.retention_days ?? null;
}

/** Tenants that have a retention set (the others keep everything). */
export async function tenantsWithRetention(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ tenant_id: string }>(
    'select tenant_id from tenants where retention_days is not null order by tenant_id',
  );
  return rows.map((r) => r.tenant_id);
}

const toHold = (r: Record<string, unknown>): LegalHold => ({
  holdId: Number(r.hold_id),
  tenantId: r.tenant_id as string,
  kind: r.kind as HoldKind,
  target: r.target as string,
  reason: r.reason as string,
  createdBy: r.created_by as string,
  createdAt: r.created_at as Date,
  releasedAt: (r.released_at as Date | null) ?? null,
  releasedBy: (r.released_by as string | null) ?? null,
});

/**
 * Places a hold; placing one that is already active returns the existing hold unchanged
 * (`created: false`). Audited.
 *
 * The tickets the hold covers are locked (`for update`, the lock a purge takes on the ticket it
 * deletes: lib/retention/purge.ts) before the hold is written, so a hold and a purge of the same
 * ticket are ordered: either the purge sees the hold and keeps everything, or the purge finishes
 * first and the hold finds nothing. A hold whose target matches no ticket of the tenant is an
 * error naming the target, never a silent success.
 */
export async function placeLegalHold(
  db: Db,
  box: SecretBox,
  h: { tenantId: string; kind: HoldKind; target: string; reason: string; createdBy: string },
): Promise<{ hold: LegalHold; created: boolean }> {
  if (h.kind !== 'ticket' && h.kind !== 'contact')
    throw new RetentionAdminError('hold kind must be ticket or contact');
  if (!h.target.trim()) throw new RetentionAdminError('hold target is empty');
  if (!h.reason.trim()) throw new RetentionAdminError('a hold needs a reason');
  await requireTenant(db, h.tenantId);
  const client = await db.connect();
  try {
    await client.query('begin');
    const { rowCount: covered } = await client.query(
      h.kind === 'ticket'
        ? 'select 1 from tickets t where t.tenant_id = $1 and t.ticket_id = $2 order by t.ticket_id for update'
        : `select 1 from tickets t
            where t.tenant_id = $1 and $2 in (t.customer_identity, t.contact_identity, t.tunnel_originator)
            order by t.ticket_id for update`,
      [h.tenantId, h.target],
    );
    if (!covered)
      throw new RetentionAdminError(
        h.kind === 'ticket'
          ? `no ticket ${h.target} in tenant ${h.tenantId}: nothing to hold`
          : `no ticket of contact ${h.target} in tenant ${h.tenantId}: nothing to hold`,
      );
    const inserted = await client.query(
      `insert into legal_holds (tenant_id, kind, target, reason, created_by)
       values ($1, $2, $3, $4, $5)
       on conflict (tenant_id, kind, target) where released_at is null do nothing
       returning *`,
      [h.tenantId, h.kind, h.target, h.reason.slice(0, 1000), h.createdBy.slice(0, 200)],
    );
    let result: { hold: LegalHold; created: boolean };
    if (inserted.rows[0]) {
      const hold = toHold(inserted.rows[0]);
      await writeAudit(client, {
        tenantId: h.tenantId,
        actor: h.createdBy,
        action: 'hold.place',
        target: auditTargetOf(box, h.tenantId, h.kind, h.target),
        details: { holdId: hold.holdId, reason: hold.reason },
      });
      result = { hold, created: true };
    } else {
      const { rows } = await client.query(
        'select * from legal_holds where tenant_id = $1 and kind = $2 and target = $3 and released_at is null',
        [h.tenantId, h.kind, h.target],
      );
      if (!rows[0]) throw new RetentionAdminError('hold changed concurrently; try again');
      result = { hold: toHold(rows[0]), created: false };
    }
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Releases the active hold on a target; returns it, or null when there was none. Audited. */
export async function releaseLegalHold(
  db: Db,
  box: SecretBox,
  h: { tenantId: string; kind: HoldKind; target: string; releasedBy: string },
): Promise<LegalHold | null> {
  const { rows } = await db.query(
    `update legal_holds set released_at = now(), released_by = $4
      where tenant_id = $1 and kind = $2 and target = $3 and released_at is null
     returning *`,
    [h.tenantId, h.kind, h.target, h.releasedBy.slice(0, 200)],
  );
  if (!rows[0]) return null;
  const hold = toHold(rows[0]);
  await writeAudit(db, {
    tenantId: h.tenantId,
    actor: h.releasedBy,
    action: 'hold.release',
    target: auditTargetOf(box, h.tenantId, h.kind, h.target),
    details: { holdId: hold.holdId },
  });
  return hold;
}

export async function listLegalHolds(
  db: Db,
  tenantId: string,
  opts: { includeReleased?: boolean } = {},
): Promise<LegalHold[]> {
  const { rows } = await db.query(
    `select * from legal_holds where tenant_id = $1 and ($2 or released_at is null) order by created_at, hold_id`,
    [tenantId, opts.includeReleased ?? false],
  );
  return rows.map(toHold);
}

/**
 * SQL predicate (for a `tickets t` row) true when an active hold covers the ticket. Used by every
 * query that picks tickets to delete, so held tickets are never even listed.
 */
export const HELD_TICKET_SQL = `exists (
  select 1 from legal_holds h
   where h.tenant_id = t.tenant_id and h.released_at is null
     and ((h.kind = 'ticket' and h.target = t.ticket_id)
       or (h.kind = 'contact' and h.target in (t.customer_identity, t.contact_identity, t.tunnel_originator))))`;

/** Whether an active hold covers this ticket (on the ticket itself or on any of its identities). */
export async function isTicketHeld(db: Db, tenantId: string, ticketId: string): Promise<boolean> {
  const { rows } = await db.query<{ held: boolean }>(
    `select ${HELD_TICKET_SQL} as held from tickets t where t.tenant_id = $1 and t.ticket_id = $2`,
    [tenantId, ticketId],
  );
  return rows[0]?.held ?? false;
}

/**
 * Archived tickets of a tenant closed before `now - retention_days`, not on hold, oldest first.
 * Empty when the tenant keeps everything.
 */
export async function expiredTicketIds(
  db: Db,
  tenantId: string,
  now: Date,
  limit: number,
): Promise<string[]> {
  const { rows } = await db.query<{ ticket_id: string }>(
    `select t.ticket_id
       from tickets t join tenants n on n.tenant_id = t.tenant_id
      where t.tenant_id = $1 and n.retention_days is not null and t.archived_at is not null
        and t.close_date < $2::timestamptz - make_interval(days => n.retention_days)
        and not ${HELD_TICKET_SQL}
      order by t.close_date, t.ticket_id
      limit $3`,
    [tenantId, now, limit],
  );
  return rows.map((r) => r.ticket_id);
}

/**
 * Every ticket of a contact (archived or not: an erasure takes half-archived ones too), with
 * whether a hold covers it.
 */
export async function contactTicketIds(
  db: Db,
  tenantId: string,
  identity: string,
): Promise<Array<{ ticketId: string; held: boolean }>> {
  const { rows } = await db.query<{ ticket_id: string; held: boolean }>(
    `select t.ticket_id, ${HELD_TICKET_SQL} as held
       from tickets t
      where t.tenant_id = $1
        and (t.customer_identity = $2 or t.contact_identity = $2 or t.tunnel_originator = $2)
      order by t.close_date nulls last, t.ticket_id`,
    [tenantId, identity],
  );
  return rows.map((r) => ({ ticketId: r.ticket_id, held: r.held }));
}

export async function isContactHeld(db: Db, tenantId: string, identity: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `select 1 from legal_holds where tenant_id = $1 and kind = 'contact' and target = $2 and released_at is null`,
    [tenantId, identity],
  );
  return (rowCount ?? 0) > 0;
}
