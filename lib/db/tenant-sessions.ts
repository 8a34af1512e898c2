import { writeAudit } from './audit';
import { type Db, inTransaction, type Queryable } from './pool';
import { TenantNotFoundError } from './tenants';

/**
 * The per-tenant session epoch (migration 006) and the tenant's history: key changes and
 * "log out everywhere" end every session of the tenant at once, and both are recorded in the
 * tenant's history and the audit log.
 */
export type TenantEvent = 'key-stored' | 'key-changed' | 'sessions-revoked';

/** The tenant's current session epoch; null for an unknown tenant. */
export async function sessionEpoch(db: Db, tenantId: string): Promise<number | null> {
  const { rows } = await db.query<{ session_epoch: number }>(
    'select session_epoch from tenants where tenant_id = $1',
    [tenantId],
  );
  return rows[0]?.session_epoch ?? null;
}

type Entry = { tenantId: string; event: TenantEvent; actor: string; details?: Record<string, unknown> };

/** Appends to the tenant's history and the audit log (call inside the change's transaction). */
export async function insertTenantEvent(q: Queryable, entry: Entry): Promise<void> {
  await q.query(
    'insert into tenant_history (tenant_id, event, actor, details) values ($1, $2, $3, $4::jsonb)',
    [entry.tenantId, entry.event, entry.actor.slice(0, 200), JSON.stringify(entry.details ?? {})],
  );
  await writeAudit(q as Db, {
    tenantId: entry.tenantId,
    actor: entry.actor,
    action: `tenant.${entry.event}`,
    target: entry.tenantId,
    details: entry.details,
  });
}

/**
 * Log out everywhere: bumps the epoch so every session issued before is refused from the next
 * request on; recorded with who asked. Throws TenantNotFoundError for an unknown tenant.
 */
export async function revokeAllSessions(db: Db, tenantId: string, actor: string): Promise<{ epoch: number }> {
  return inTransaction(db, async (q) => {
    const { rows } = await q.query<{ session_epoch: number }>(
      'update tenants set session_epoch = session_epoch + 1, updated_at = now() where tenant_id = $1 returning session_epoch',
      [tenantId],
    );
    const epoch = rows[0]?.session_epoch;
    if (epoch === undefined) throw new TenantNotFoundError(tenantId);
    await insertTenantEvent(q, { tenantId, event: 'sessions-revoked', actor, details: { epoch } });
    return { epoch };
  });
}

/** The tenant's history, newest first. */
export async function tenantHistory(
  db: Db,
  tenantId: string,
): Promise<Array<{ event: TenantEvent; actor: string; at: Date; details: Record<string, unknown> | null }>> {
  const { rows } = await db.query<{
    event: TenantEvent;
    actor: string;
    at: Date;
    details: Record<string, unknown> | null;
  }>('select event, actor, at, details from tenant_history where tenant_id = $1 order by id desc', [
    tenantId,
  ]);
  return rows;
}
