import type { Db } from './pool';

/**
 * Media rows: one per link sent in a message. `pending` until the mirror stores the bytes
 * (`stored`, with sha-256, size and storage key) or gives up with a reason (`unavailable`).
 */

export interface PendingMedia {
  messageId: string;
  ordinal: number;
  originalUri: string;
  declaredType: string | null;
}

export async function pendingMedia(
  db: Db,
  tenantId: string,
  ticketId: string,
  limit: number,
): Promise<PendingMedia[]> {
  const { rows } = await db.query<{
    message_id: string;
    ordinal: number;
    original_uri: string;
    declared_type: string | null;
  }>(
    `select message_id, ordinal, original_uri, declared_type from media
      where tenant_id = $1 and ticket_id = $2 and status = 'pending'
      order by message_id, ordinal limit $3`,
    [tenantId, ticketId, limit],
  );
  return rows.map((r) => ({
    messageId: r.message_id,
    ordinal: r.ordinal,
    originalUri: r.original_uri,
    declaredType: r.declared_type,
  }));
}

export async function countPendingMedia(db: Db, tenantId: string, ticketId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `select count(*) as n from media where tenant_id = $1 and ticket_id = $2 and status = 'pending'`,
    [tenantId, ticketId],
  );
  return Number(rows[0]?.n ?? 0);
}

export interface StoredMediaResult {
  sha256: string;
  size: number;
  contentType: string;
  storageKey: string;
}

type MediaKey = { tenantId: string; ticketId: string; messageId: string; ordinal: number };

export async function markMediaStored(db: Db, key: MediaKey, r: StoredMediaResult): Promise<void> {
  await db.query(
    `update media set status = 'stored', reason = null, sha256 = $5, size = $6, content_type = $7,
            storage_key = $8, stored_at = now()
      where tenant_id = $1 and ticket_id = $2 and message_id = $3 and ordinal = $4`,
    [key.tenantId, key.ticketId, key.messageId, key.ordinal, r.sha256, r.size, r.contentType, r.storageKey],
  );
}

export async function markMediaUnavailable(db: Db, key: MediaKey, reason: string): Promise<void> {
  await db.query(
    `update media set status = 'unavailable', reason = $5
      where tenant_id = $1 and ticket_id = $2 and message_id = $3 and ordinal = $4`,
    [key.tenantId, key.ticketId, key.messageId, key.ordinal, reason.slice(0, 500)],
  );
}
