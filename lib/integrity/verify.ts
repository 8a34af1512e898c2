import { createHash } from 'node:crypto';
import type { Db } from '../db/pool';
import type { ObjectStore } from '../storage/object-store';
import { type DigestMessage, messageHash, ticketDigest } from './digest';

/**
 * Recomputes a ticket's digest from what is stored now: each message's raw bytes hashed again
 * (not the stored hash), each stored media object read back from storage and hashed. `ok` only
 * when every hash still matches and the digest equals the sealed one.
 */
export interface VerifyResult {
  ok: boolean;
  /** The digest recomputed from the stored data. */
  digest: string;
  sealedDigest: string | null;
  problems: string[];
}

async function sha256Of(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function verifyTicket(
  db: Db,
  store: ObjectStore,
  tenantId: string,
  ticketId: string,
): Promise<VerifyResult | null> {
  const ticket = await db.query<{ digest: string | null }>(
    'select digest from tickets where tenant_id = $1 and ticket_id = $2 and archived_at is not null',
    [tenantId, ticketId],
  );
  if (ticket.rows.length === 0) return null;
  const sealedDigest = ticket.rows[0]?.digest ?? null;
  const problems: string[] = [];
  const items: DigestMessage[] = [];
  const BATCH = 500;
  for (let after = -1; ; ) {
    const { rows } = await db.query<{
      message_id: string;
      position: number;
      raw: Buffer;
      raw_sha256: string;
      media: Array<{
        ordinal: number;
        status: string;
        sha256: string | null;
        storage_key: string | null;
      }> | null;
    }>(
      `select m.message_id, m.position, m.raw, m.raw_sha256,
              (select json_agg(json_build_object('ordinal', a.ordinal, 'status', a.status, 'sha256', a.sha256,
                                                 'storage_key', a.storage_key) order by a.ordinal)
                 from media a where a.tenant_id = m.tenant_id and a.ticket_id = m.ticket_id and a.message_id = m.message_id) as media
         from messages m where m.tenant_id = $1 and m.ticket_id = $2 and m.position > $3
        order by m.position limit $4`,
      [tenantId, ticketId, after, BATCH],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      const rawSha256 = messageHash(r.raw);
      if (rawSha256 !== r.raw_sha256)
        problems.push(`message ${r.message_id}: content changed since it was archived`);
      const media = [];
      for (const a of r.media ?? []) {
        let sha256 = a.sha256;
        if (a.status === 'stored' && a.storage_key) {
          try {
            sha256 = await sha256Of(store.get(a.storage_key));
          } catch {
            sha256 = null;
            problems.push(`media ${r.message_id}#${a.ordinal}: missing from storage`);
          }
          if (sha256 && sha256 !== a.sha256)
            problems.push(`media ${r.message_id}#${a.ordinal}: bytes changed since archived`);
        }
        media.push({ ordinal: a.ordinal, status: a.status, sha256: sha256 ?? '0'.repeat(64) });
      }
      items.push({ messageId: r.message_id, rawSha256, media });
    }
    after = rows[rows.length - 1]?.position ?? after;
  }
  const digest = ticketDigest(items);
  if (digest !== sealedDigest) problems.push('the recomputed digest differs from the sealed one');
  return { ok: problems.length === 0, digest, sealedDigest, problems };
}
