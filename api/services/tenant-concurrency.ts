import { randomUUID } from 'node:crypto';
import { type Db, inTransaction } from '../../lib/db/pool';
import { tooManyRequests } from './http-errors';

/**
 * A per-tenant cap on requests in progress at once, shared by every API process: a verify hashes
 * every media object of a ticket, a ticket read signs a URL per media item, so one tenant looping
 * over them would take the database and object store from the others. Beyond the cap the request
 * is refused at once (429 naming the setting), never queued: a queue would only move the pile-up
 * into memory.
 *
 * Each request in progress holds a lease row (`tenant_leases`, migration 015), taken after counting
 * the live leases of its tenant under a per-(kind, tenant) advisory lock, so N replicas together
 * admit at most the cap (a per-process counter admitted N times it). The lease is renewed while the
 * request runs and deleted when it ends; a process that dies leaves leases that stop counting after
 * `leaseSeconds`. No connection is held while the work runs.
 */
export interface TenantConcurrency {
  run<T>(tenantId: string, work: () => Promise<T>): Promise<T>;
  /** Requests of the tenant in progress now, in every process (metrics and tests). */
  running(tenantId: string): Promise<number>;
}

export interface TenantConcurrencyOptions {
  /** How long a lease counts without renewal (a crashed process's slots come back after this). */
  leaseSeconds?: number;
}

export function tenantConcurrency(
  db: Db,
  setting: string,
  max: number,
  what: string,
  options: TenantConcurrencyOptions = {},
): TenantConcurrency {
  const kind = setting;
  const leaseSeconds = Math.max(3, options.leaseSeconds ?? 60);

  async function acquire(tenantId: string): Promise<string> {
    const leaseId = randomUUID();
    const inProgress = await inTransaction(db, async (q) => {
      await q.query(`select pg_advisory_xact_lock(hashtext('tenant-lease:' || $1 || ':' || $2))`, [
        kind,
        tenantId,
      ]);
      await q.query('delete from tenant_leases where kind = $1 and tenant_id = $2 and expires_at <= now()', [
        kind,
        tenantId,
      ]);
      const { rows } = await q.query<{ n: number }>(
        'select count(*)::int as n from tenant_leases where kind = $1 and tenant_id = $2',
        [kind, tenantId],
      );
      const n = rows[0]?.n ?? 0;
      if (n >= max) return n;
      await q.query(
        `insert into tenant_leases (lease_id, kind, tenant_id, expires_at)
         values ($1, $2, $3, now() + make_interval(secs => $4))`,
        [leaseId, kind, tenantId, leaseSeconds],
      );
      return null;
    });
    if (inProgress !== null)
      throw tooManyRequests(
        `this archive already has ${inProgress} ${what} in progress (${setting}=${max}); retry when one finishes`,
      );
    return leaseId;
  }

  return {
    async run(tenantId, work) {
      const leaseId = await acquire(tenantId);
      const renew = setInterval(
        () => {
          db.query(
            'update tenant_leases set expires_at = now() + make_interval(secs => $2) where lease_id = $1',
            [leaseId, leaseSeconds],
          ).catch(() => undefined);
        },
        (leaseSeconds * 1000) / 3,
      );
      renew.unref();
      try {
        return await work();
      } finally {
        clearInterval(renew);
        // A failed delete leaves the lease to expire: the slot comes back after leaseSeconds.
        await db.query('delete from tenant_leases where lease_id = $1', [leaseId]).catch(() => undefined);
      }
    },
    async running(tenantId) {
      const { rows } = await db.query<{ n: number }>(
        'select count(*)::int as n from tenant_leases where kind = $1 and tenant_id = $2 and expires_at > now()',
        [kind, tenantId],
      );
      return rows[0]?.n ?? 0;
    },
  };
}
