import { createExport, type NewExport } from './exports';
import { type Db, inTransaction } from './pool';

/**
 * An export still `running` this long after it was requested no longer counts against its tenant's
 * concurrency limit: a workflow that died without marking its row must not block the tenant forever.
 */
export const RUNNING_EXPORT_COUNTS_FOR = '1 hour';

export class ExportLimitError extends Error {
  override name = 'ExportLimitError';
}

/**
 * Inserts the `running` export row unless the tenant already has `maxRunning` exports running;
 * the count and the insert happen under a per-tenant advisory lock, so simultaneous requests
 * cannot all slip under the limit. Throws ExportLimitError naming the limit.
 */
export async function createExportWithinLimit(db: Db, e: NewExport, maxRunning: number): Promise<void> {
  await inTransaction(db, async (q) => {
    await q.query(`select pg_advisory_xact_lock(hashtext('export-slots:' || $1))`, [e.tenantId]);
    const { rows } = await q.query(
      `select count(*)::int as n from exports
        where tenant_id = $1 and status = 'running' and created_at > now() - interval '${RUNNING_EXPORT_COUNTS_FOR}'`,
      [e.tenantId],
    );
    if ((rows[0]?.n ?? 0) >= maxRunning) {
      throw new ExportLimitError(
        `this archive already has ${rows[0]?.n} exports running (EXPORT_MAX_CONCURRENT_PER_TENANT=${maxRunning}); wait for one to finish and retry`,
      );
    }
    await createExport(q, e);
  });
}
