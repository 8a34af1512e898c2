import type { SecretBox } from '../crypto/secret-box';
import type { Db } from '../db/pool';

type Queryable = Pick<Db, 'query'>;

/**
 * Keyed names for erased things. An erased ticket id or contact identity is kept only as
 * `hmac-sha256:<hex>` under a key derived from ARCHIVE_ENCRYPTION_KEY (SecretBox.keyedHashes), so
 * neither the tombstones nor the audit log nor a workflow id lets anyone without the key confirm a
 * guessed identity (an unkeyed sha-256 of a phone number is reversed by trying every number).
 */

export type ErasedKind = 'ticket' | 'contact';

const PURPOSE = 'erasure';
const PREFIX = 'hmac-sha256:';

/** Every accepted hash of the value: the current key's first, then the previous keys' (rotation). */
export function erasureHashes(box: SecretBox, tenantId: string, kind: ErasedKind, value: string): string[] {
  return box.keyedHashes(PURPOSE, `${tenantId}\n${kind}\n${value}`).map((h) => `${PREFIX}${h}`);
}

export const erasureHash = (box: SecretBox, tenantId: string, kind: ErasedKind, value: string): string =>
  erasureHashes(box, tenantId, kind, value)[0] as string;

/** The identity as the audit log and workflow ids keep it (audit rows written before stay as they were). */
export const identityFingerprint = (box: SecretBox, tenantId: string, identity: string): string =>
  erasureHash(box, tenantId, 'contact', identity);

/**
 * The audit target of a hold, an export or a view: `ticket:<id>`, or `contact:<keyed fingerprint>`
 * (never the identity in clear: the audit log outlives erasures and is read by operators).
 */
export const auditTargetOf = (
  box: SecretBox,
  tenantId: string,
  kind: 'ticket' | 'contact',
  target: string,
): string => `${kind}:${kind === 'contact' ? identityFingerprint(box, tenantId, target) : target}`;

/** Records an erasure (idempotent); `q` may be the purge's transaction. */
export async function writeTombstone(
  q: Queryable,
  box: SecretBox,
  t: { tenantId: string; kind: ErasedKind; value: string },
): Promise<void> {
  await q.query(
    `insert into erasure_tombstones (tenant_id, kind, key_hash) values ($1, $2, $3)
     on conflict do nothing`,
    [t.tenantId, t.kind, erasureHash(box, t.tenantId, t.kind, t.value)],
  );
}

export async function isErased(
  q: Queryable,
  box: SecretBox,
  t: { tenantId: string; kind: ErasedKind; value: string },
): Promise<boolean> {
  const { rowCount } = await q.query(
    'select 1 from erasure_tombstones where tenant_id = $1 and kind = $2 and key_hash = any($3::text[])',
    [t.tenantId, t.kind, erasureHashes(box, t.tenantId, t.kind, t.value)],
  );
  return (rowCount ?? 0) > 0;
}
