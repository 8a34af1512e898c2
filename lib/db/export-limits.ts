import { jsonParam } from './nul';
import type { Db } from './pool';

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
export async function createExportWithinLimit(
  db: Db,
  e: {
    exportId: string;
    tenantId: string;
    kind: 'ticket' | 'contact';
    target: string;
    targetSealed?: Buffer | null;
    params?: object | null;
    requestedBy: string;
  },
  maxRunning: number,
): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(hashtext('export-slots:' || $1))`, [e.tenantId]);
    const { rows } = await client.query(
      `select count(*)::int as n from exports
        where tenant_id = $1 and status = 'running' and created_at > now() - interval '${RUNNING_EXPORT_COUNTS_FOR}'`,
      [e.tenantId],
    );
    if ((rows[0]?.n ?? 0) >= maxRunning) {
      await client.query('rollback');
      throw new ExportLimitError(
        `this archive already has ${rows[0]?.n} exports running (EXPORT_MAX_CONCURRENT_PER_TENANT=${maxRunning}); wait for one to finish and retry`,
      );
    }
    await client.query(
      `insert into exports (export_id, tenant_id, kind, target, target_sealed, params, requested_by, status)
       values ($1, $2, $3, $4, $5, $6::jsonb, $7, 'running')`,
      [
        e.exportId,
        e.tenantId,
        e.kind,
        e.target,
        e.targetSealed ?? null,
        jsonParam(e.params ?? null),
        e.requestedBy.slice(0, 200),
      ],
    );
    await client.query('commit');
  } catch (err) {
    if (!(err instanceof ExportLimitError)) await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
