import { jsonParam } from './nul';
import type { Db } from './pool';

/** Who did what to which archived record, and when (docs/architecture.md rule 7). Append-only. */
export interface AuditEntry {
  tenantId: string;
  actor: string;
  action:
    | 'ticket.view'
    | 'contact.view'
    | 'media.link'
    | 'export.request'
    | 'export.download'
    | (string & {});
  target: string;
  details?: Record<string, unknown>;
}

export async function writeAudit(db: Pick<Db, 'query'>, entry: AuditEntry): Promise<void> {
  await db.query(
    'insert into audit_log (tenant_id, actor, action, target, details) values ($1, $2, $3, $4, $5::jsonb)',
    [
      entry.tenantId,
      entry.actor.slice(0, 200),
      entry.action,
      entry.target.slice(0, 500),
      jsonParam(entry.details ?? null),
    ],
  );
}
