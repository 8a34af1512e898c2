import type { SecretBox } from '../crypto/secret-box';
import { erasureHashes, identityFingerprint } from '../retention/erasure-hash';
import type { Db } from './pool';

/**
 * What a contact export names (migration 015). The contact identity (a phone number) never sits
 * in clear in `exports` nor in the export workflow's input: `target` is the contact's keyed
 * fingerprint (the one erasure audits and tombstones use), `target_sealed` the identity sealed for
 * this export alone, opened by the render activity. Ticket exports keep the ticket id in `target`.
 */

type Queryable = Pick<Db, 'query'>;

/** Binds a sealed target to its row: copied to another export or tenant, it does not open. */
const contextOf = (tenantId: string, exportId: string) => `export-target\n${tenantId}\n${exportId}`;

export interface StoredTarget {
  target: string;
  targetSealed: Buffer | null;
}

/** The row values for a new export: a contact becomes fingerprint + sealed identity. */
export function storedTargetOf(
  box: SecretBox,
  e: { tenantId: string; exportId: string; kind: 'ticket' | 'contact'; target: string },
): StoredTarget {
  if (e.kind === 'ticket') return { target: e.target, targetSealed: null };
  return {
    target: identityFingerprint(box, e.tenantId, e.target),
    targetSealed: Buffer.from(box.seal(e.target, contextOf(e.tenantId, e.exportId)), 'utf8'),
  };
}

/**
 * The contact a contact export prints: opened from `target_sealed`, or (a row written before
 * migration 015 and not rewritten yet) the identity still in `target`.
 */
export function contactOfExport(
  box: SecretBox,
  r: { tenantId: string; exportId: string; target: string; targetSealed: Buffer | null },
): string {
  if (r.targetSealed === null) return r.target;
  return box.open(r.targetSealed.toString('utf8'), contextOf(r.tenantId, r.exportId));
}

/** The audit target of an export: `ticket:<id>` or `contact:<fingerprint>` (never the identity). */
export function exportAuditTarget(
  box: SecretBox,
  r: { tenantId: string; kind: 'ticket' | 'contact'; target: string; targetSealed: Buffer | null },
): string {
  if (r.kind === 'ticket') return `ticket:${r.target}`;
  return `contact:${r.targetSealed === null ? identityFingerprint(box, r.tenantId, r.target) : r.target}`;
}

/**
 * Every `exports.target` a contact export of these identities may carry: the keyed fingerprint
 * under the current and previous keys (rotation), and the identity itself (rows not rewritten yet).
 */
export function contactTargetsOf(box: SecretBox, tenantId: string, identities: string[]): string[] {
  return [...new Set(identities.flatMap((i) => [i, ...erasureHashes(box, tenantId, 'contact', i)]))];
}

const REWRITE_BATCH = 500;

/**
 * Rewrites contact exports written before migration 015 (identity in `target`) to fingerprint +
 * sealed identity. Run by every process right after migrating (lib/clients.ts): idempotent, in
 * batches, each row rewritten only while it still holds its clear identity (a concurrent process
 * doing the same skips it). Returns how many rows it rewrote.
 */
export async function sealLegacyExportTargets(db: Queryable, box: SecretBox): Promise<number> {
  let total = 0;
  for (let round = 0; round < 10_000; round++) {
    const { rows } = await db.query<{ export_id: string; tenant_id: string; target: string }>(
      `select export_id, tenant_id, target from exports
        where kind = 'contact' and target_sealed is null
        order by export_id limit $1`,
      [REWRITE_BATCH],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      const stored = storedTargetOf(box, {
        tenantId: r.tenant_id,
        exportId: r.export_id,
        kind: 'contact',
        target: r.target,
      });
      const { rowCount } = await db.query(
        `update exports set target = $3, target_sealed = $4
          where export_id = $1 and kind = 'contact' and target = $2 and target_sealed is null`,
        [r.export_id, r.target, stored.target, stored.targetSealed],
      );
      total += rowCount ?? 0;
    }
    if (rows.length < REWRITE_BATCH) break;
  }
  return total;
}
