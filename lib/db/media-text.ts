import type { Db, Queryable } from './pool';

/**
 * Rows of `media_text` (migration 013): the text read from one stored media object of a tenant by
 * one engine version. Derived data: never sealed, replaced by running the extractor again.
 */

export type MediaTextStatus = 'ok' | 'unreadable' | 'timeout' | 'failed';

export interface MediaTextPart {
  /** 1-based page of a document; null for an image or a plain-text file. */
  page: number | null;
  source: 'ocr' | 'text-layer' | 'plain';
  text: string;
}

export interface MediaTextRecord {
  tenantId: string;
  sha256: string;
  engine: string;
  engineVersion: string;
  languages: string;
  status: MediaTextStatus;
  reason: string | null;
  parts: MediaTextPart[];
  seconds: number;
}

/** Stores (or replaces, on --force) what one engine version read from one object. */
export async function saveMediaText(db: Queryable, r: MediaTextRecord): Promise<void> {
  const chars = r.parts.reduce((n, p) => n + p.text.length, 0);
  await db.query(
    `insert into media_text (tenant_id, sha256, engine, engine_version, languages, status, reason, parts, chars, seconds)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
     on conflict (tenant_id, sha256, engine, engine_version) do update
       set languages = excluded.languages, status = excluded.status, reason = excluded.reason,
           parts = excluded.parts, chars = excluded.chars, seconds = excluded.seconds, extracted_at = now()`,
    [
      r.tenantId,
      r.sha256,
      r.engine,
      r.engineVersion,
      r.languages,
      r.status,
      r.reason?.slice(0, 500) ?? null,
      JSON.stringify(r.parts),
      chars,
      r.seconds,
    ],
  );
}

/**
 * A stored image, PDF or text object of a tenant (or of one ticket) that this engine version has
 * not read yet (or every one, with force). Audio and video are never read.
 */
export interface MediaToRead {
  sha256: string;
  storageKey: string;
  contentType: string;
  size: number;
  title: string | null;
}

const MEDIA_TO_READ_SQL = `
  select distinct on (m.sha256) m.sha256, m.storage_key, coalesce(m.content_type, m.declared_type) as content_type,
         m.size, m.title
    from media m
   where m.tenant_id = $1 and m.status = 'stored' and m.storage_key is not null
     and (coalesce(m.content_type, m.declared_type) ~* '^(image/|application/pdf|text/)')
     and ($2::text is null or m.ticket_id = $2)
     and ($5::boolean or not exists (select 1 from media_text x
                      where x.tenant_id = m.tenant_id and x.sha256 = m.sha256
                        and x.engine = $3 and x.engine_version = $4))
     and ($6::timestamptz is null or m.stored_at >= $6)
     and m.sha256 > $7
   order by m.sha256
   limit $8`;

export async function mediaToRead(
  db: Db,
  q: {
    tenantId: string;
    ticketId?: string;
    engine: string;
    engineVersion: string;
    force?: boolean;
    since?: Date;
    after?: string;
    limit: number;
  },
): Promise<MediaToRead[]> {
  const { rows } = await db.query<{
    sha256: string;
    storage_key: string;
    content_type: string | null;
    size: string | null;
    title: string | null;
  }>(MEDIA_TO_READ_SQL, [
    q.tenantId,
    q.ticketId ?? null,
    q.engine,
    q.engineVersion,
    q.force ?? false,
    q.since ?? null,
    q.after ?? '',
    q.limit,
  ]);
  return rows.map((r) => ({
    sha256: r.sha256,
    storageKey: r.storage_key,
    contentType: r.content_type ?? 'application/octet-stream',
    size: Number(r.size ?? 0),
    title: r.title,
  }));
}

/** Tickets of a tenant whose media include one of these objects (to index them again). */
export async function ticketsWithMedia(db: Db, tenantId: string, shas: string[]): Promise<string[]> {
  if (shas.length === 0) return [];
  const { rows } = await db.query<{ ticket_id: string }>(
    `select distinct m.ticket_id from media m join tickets t using (tenant_id, ticket_id)
      where m.tenant_id = $1 and m.sha256 = any($2::text[]) and t.archived_at is not null`,
    [tenantId, shas],
  );
  return rows.map((r) => r.ticket_id);
}

/** The newest successful reading of each media item of some messages, for the indexer and reader. */
export interface MessageMediaText {
  messageId: string;
  ordinal: number;
  title: string | null;
  contentType: string | null;
  parts: MediaTextPart[];
}

export async function mediaTextOfMessages(
  db: Queryable,
  tenantId: string,
  ticketId: string,
  messageIds: string[],
): Promise<MessageMediaText[]> {
  if (messageIds.length === 0) return [];
  const { rows } = await db.query<{
    message_id: string;
    ordinal: number;
    title: string | null;
    content_type: string | null;
    parts: MediaTextPart[];
  }>(
    `select m.message_id, m.ordinal, m.title, m.content_type, x.parts
       from media m
       join lateral (select parts from media_text x
                      where x.tenant_id = m.tenant_id and x.sha256 = m.sha256 and x.status = 'ok' and x.chars > 0
                      order by x.extracted_at desc limit 1) x on true
      where m.tenant_id = $1 and m.ticket_id = $2 and m.message_id = any($3::text[]) and m.status = 'stored'
      order by m.message_id, m.ordinal`,
    [tenantId, ticketId, messageIds],
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    ordinal: r.ordinal,
    title: r.title,
    contentType: r.content_type,
    parts: r.parts,
  }));
}

/** The media kinds (image, document, audio, video) a ticket holds, for the search filters. */
export async function mediaKindsOfTicket(
  db: Queryable,
  tenantId: string,
  ticketId: string,
): Promise<string[]> {
  const { rows } = await db.query<{ content_type: string | null; declared_type: string | null }>(
    `select distinct content_type, declared_type from media where tenant_id = $1 and ticket_id = $2`,
    [tenantId, ticketId],
  );
  const kinds = new Set<string>();
  for (const r of rows) kinds.add(mediaKind(r.content_type ?? r.declared_type));
  kinds.delete('other');
  return [...kinds].sort();
}

/** image | audio | video | document (PDFs, office files, text) | other. */
export function mediaKind(contentType: string | null): 'image' | 'audio' | 'video' | 'document' | 'other' {
  const t = (contentType ?? '').toLowerCase().split(';')[0]?.trim() ?? '';
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('audio/')) return 'audio';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('text/') || t.startsWith('application/')) return 'document';
  return 'other';
}

/** The tenant's own OCR languages (null: the installation's MEDIA_TEXT_LANGUAGES). */
export async function getTenantOcrLanguages(db: Queryable, tenantId: string): Promise<string | null> {
  const { rows } = await db.query<{ ocr_languages: string | null }>(
    'select ocr_languages from tenants where tenant_id = $1',
    [tenantId],
  );
  return rows[0]?.ocr_languages ?? null;
}

export async function setTenantOcrLanguages(
  db: Queryable,
  tenantId: string,
  languages: string | null,
): Promise<boolean> {
  const r = await db.query('update tenants set ocr_languages = $2, updated_at = now() where tenant_id = $1', [
    tenantId,
    languages,
  ]);
  return (r.rowCount ?? 0) > 0;
}
