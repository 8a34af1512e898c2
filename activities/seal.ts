import type { Db } from '../lib/db/pool';
import { appendSeal, storeSealObject } from '../lib/db/seals';
import type { SealKeyProvider } from '../lib/integrity/key-provider';
import type { Logger } from '../lib/logger';
import type { ObjectStore } from '../lib/storage/object-store';
import { heartbeat } from './activity-context';
import { classified } from './failures';
import type { SealActivities } from './seal-types';

/**
 * Re-sealing: archived tickets that only have a v1 digest (sealed before seal v2) get a v2 seal.
 * The v1 digest stays in `tickets.digest`; the v2 seal is appended (docs/evidence.md). A ticket
 * already holding a v2 seal is skipped, so a re-run only takes up what is left.
 */
export interface SealDeps {
  db: Db;
  store: ObjectStore;
  sealKeys: SealKeyProvider;
  logger: Logger;
}

const MAX_LIMIT = 500;
const MAX_FAILURES_LISTED = 20;

export function createSealActivities(deps: SealDeps): SealActivities {
  const { db } = deps;
  return {
    resealBatch: classified(async ({ tenantId, after, limit }) => {
      const size = Math.min(Math.max(1, limit), MAX_LIMIT);
      const { rows } = await db.query<{ tenant_id: string; ticket_id: string }>(
        `select t.tenant_id, t.ticket_id from tickets t
          where t.archived_at is not null and ($1::text is null or t.tenant_id = $1)
            and (t.tenant_id, t.ticket_id) > ($2, $3)
            and not exists (select 1 from seals s where s.tenant_id = t.tenant_id and s.ticket_id = t.ticket_id)
          order by t.tenant_id, t.ticket_id limit $4`,
        [tenantId ?? null, after?.tenantId ?? '', after?.ticketId ?? '', size],
      );
      const keys = await deps.sealKeys();
      let resealed = 0;
      const failed: Array<{ tenantId: string; ticketId: string; error: string }> = [];
      for (const r of rows) {
        try {
          const { seal, created } = await appendSeal(db, keys, r.tenant_id, r.ticket_id);
          await storeSealObject(deps.store, seal);
          if (created) resealed++;
        } catch (err) {
          // One unreadable ticket must not stop the migration: it is reported and left as v1.
          deps.logger.warn(
            { tenantId: r.tenant_id, ticketId: r.ticket_id, err: (err as Error).message },
            'reseal failed',
          );
          if (failed.length < MAX_FAILURES_LISTED)
            failed.push({
              tenantId: r.tenant_id,
              ticketId: r.ticket_id,
              error: (err as Error).message.slice(0, 300),
            });
        }
        heartbeat({ resealed });
      }
      const last = rows[rows.length - 1];
      return {
        resealed,
        failed,
        next: rows.length === size && last ? { tenantId: last.tenant_id, ticketId: last.ticket_id } : null,
      };
    }),
  };
}
