import { jsonParam } from './nul';
import { type Db, inTransaction, type Queryable } from './pool';

/** PDF exports: requested (running), then done with the file's hash and pages, or failed with why. */
export type ExportKind = 'ticket' | 'contact';

/**
 * What an export was asked for beyond its target: a contact's close-date window, and the messages
 * a redacted export hides (docs/evidence.md, "Redaction"), with who asked is the export's requester.
 */
export interface ExportParams {
  from?: string;
  to?: string;
  redact?: {
    messages: string[];
    reason: string | null;
    /** Built-in kinds replaced in place (lib/redaction/patterns.ts); absent on older exports. */
    patterns?: string[];
    /** Custom regular expressions, checked by the API (checkCustomRegex). */
    regex?: string[];
  };
}

export interface ExportRecord {
  exportId: string;
  tenantId: string;
  kind: ExportKind;
  /** The ticket id; for a contact, its keyed fingerprint (or, before migration 015's rewrite, the identity). */
  target: string;
  /** A contact export's identity, sealed (lib/db/export-targets.ts); null for tickets and legacy rows. */
  targetSealed: Buffer | null;
  params: ExportParams | null;
  requestedBy: string;
  status: 'running' | 'done' | 'failed';
  storageKey: string | null;
  sha256: string | null;
  pages: number | null;
  size: number | null;
  messageCount: number | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  /** The language asked for (null: made before migration 009). */
  lang: string | null;
  /** The file name people download it as (null: not done, or made before migration 009). */
  downloadName: string | null;
}

/** The name people save the PDF as; exports made before migration 009 keep their old name. */
export function downloadNameOf(record: Pick<ExportRecord, 'downloadName' | 'kind' | 'exportId'>): string {
  return record.downloadName ?? `ticket-vault-${record.kind}-${record.exportId}.pdf`;
}

export interface NewExport {
  exportId: string;
  tenantId: string;
  kind: ExportKind;
  target: string;
  targetSealed?: Buffer | null;
  params?: object | null;
  requestedBy: string;
  lang?: string | null;
}

/** Inserts the `running` export row; also inside a transaction (export-limits.ts). */
export async function createExport(db: Queryable, e: NewExport): Promise<void> {
  await db.query(
    `insert into exports (export_id, tenant_id, kind, target, target_sealed, params, requested_by, status, lang)
     values ($1, $2, $3, $4, $5, $6::jsonb, $7, 'running', $8)`,
    [
      e.exportId,
      e.tenantId,
      e.kind,
      e.target,
      e.targetSealed ?? null,
      jsonParam(e.params ?? null),
      e.requestedBy.slice(0, 200),
      e.lang ?? null,
    ],
  );
}

/** The export, only for its own tenant (null otherwise). */
export async function getExport(db: Db, exportId: string, tenantId?: string): Promise<ExportRecord | null> {
  const { rows } = await db.query(
    `select * from exports where export_id = $1 and ($2::text is null or tenant_id = $2)`,
    [exportId, tenantId ?? null],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    exportId: r.export_id,
    tenantId: r.tenant_id,
    kind: r.kind,
    target: r.target,
    targetSealed: r.target_sealed ?? null,
    params: r.params,
    requestedBy: r.requested_by,
    status: r.status,
    storageKey: r.storage_key,
    sha256: r.sha256,
    pages: r.pages,
    size: r.size === null ? null : Number(r.size),
    messageCount: r.message_count,
    error: r.error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    lang: r.lang ?? null,
    downloadName: r.download_name ?? null,
  };
}

export interface FinishedExport {
  storageKey: string;
  sha256: string;
  pages: number;
  size: number;
  messageCount: number;
  lang: string;
  downloadName: string;
}

const FINISH_SQL = `update exports set status = 'done', storage_key = $2, sha256 = $3, pages = $4, size = $5, message_count = $6,
            lang = $7, download_name = $8, error = null, finished_at = now()
      where export_id = $1`;

const finishParams = (exportId: string, r: FinishedExport) => [
  exportId,
  r.storageKey,
  r.sha256,
  r.pages,
  r.size,
  r.messageCount,
  r.lang,
  r.downloadName,
];

export async function finishExport(db: Db, exportId: string, r: FinishedExport): Promise<void> {
  await db.query(FINISH_SQL, finishParams(exportId, r));
}

/**
 * Marks the export done only if every ticket it printed is still archived, decided under those
 * tickets' row locks (FOR SHARE): a purge holds FOR UPDATE from its hold check to its commit, so
 * one in flight is waited for and seen, and one that starts after this commits finds the export
 * done and deletes its PDF itself (lib/retention/purge.ts). Returns the tickets that are gone
 * (nothing marked) or an empty list (marked done).
 */
export async function finishExportIfTicketsRemain(
  db: Db,
  exportId: string,
  tenantId: string,
  ticketIds: string[],
  r: FinishedExport,
): Promise<string[]> {
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<{ ticket_id: string }>(
      `select ticket_id from tickets where tenant_id = $1 and ticket_id = any($2::text[])
      order by ticket_id for share`,
      [tenantId, ticketIds],
    );
    const present = new Set(rows.map((x) => x.ticket_id));
    const gone = ticketIds.filter((id) => !present.has(id));
    if (gone.length === 0) await client.query(FINISH_SQL, finishParams(exportId, r));
    return gone;
  });
}

export async function failExport(db: Db, exportId: string, error: string): Promise<void> {
  await db.query(
    `update exports set status = 'failed', error = $2, finished_at = now() where export_id = $1 and status = 'running'`,
    [exportId, error.slice(0, 1000)],
  );
}
