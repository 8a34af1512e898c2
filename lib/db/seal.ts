import { type DigestMessage, ticketDigest } from '../integrity/digest';
import type { Db } from './pool';

/**
 * Sealing: the ticket digest over its stored messages and media, computed from Postgres (the
 * source of truth) and written with the counts. `archived_at` keeps the first time the ticket was
 * archived unless the content changed, so a re-archive of the same data leaves the seal as it was.
 */

export interface SealResult {
  digest: string;
  messageCount: number;
  mediaCount: number;
}

export class MediaStillPendingError extends Error {
  override name = 'MediaStillPendingError';
}

/** The digest inputs of a ticket, in archive order. */
export async function digestInputs(db: Db, tenantId: string, ticketId: string): Promise<DigestMessage[]> {
  const { rows } = await db.query<{
    message_id: string;
    raw_sha256: string;
    media: Array<{ ordinal: number; status: string; sha256: string | null }> | null;
  }>(
    `select m.message_id, m.raw_sha256,
            (select json_agg(json_build_object('ordinal', a.ordinal, 'status', a.status, 'sha256', a.sha256)
                             order by a.ordinal)
               from media a
              where a.tenant_id = m.tenant_id and a.ticket_id = m.ticket_id and a.message_id = m.message_id) as media
       from messages m
      where m.tenant_id = $1 and m.ticket_id = $2
      order by m.position`,
    [tenantId, ticketId],
  );
  return rows.map((r) => ({ messageId: r.message_id, rawSha256: r.raw_sha256, media: r.media ?? [] }));
}

export async function sealTicket(db: Db, tenantId: string, ticketId: string): Promise<SealResult> {
  const items = await digestInputs(db, tenantId, ticketId);
  const pending = items.flatMap((m) => m.media).filter((a) => a.status === 'pending').length;
  if (pending > 0) throw new MediaStillPendingError(`ticket ${ticketId}: ${pending} media still pending`);
  const digest = ticketDigest(items);
  const mediaCount = items.reduce((n, m) => n + m.media.length, 0);
  await db.query(
    `update tickets set
        message_count = $3, media_count = $4, digest = $5,
        archived_at = case when digest is distinct from $5 or archived_at is null then now() else archived_at end,
        window_start = coalesce(storage_date, open_date), window_end = close_date, updated_at = now()
      where tenant_id = $1 and ticket_id = $2`,
    [tenantId, ticketId, items.length, mediaCount, digest],
  );
  return { digest, messageCount: items.length, mediaCount };
}
