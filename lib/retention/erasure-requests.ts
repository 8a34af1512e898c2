import type { SecretBox } from '../crypto/secret-box';
import type { Db } from '../db/pool';
import { erasureHashes, identityFingerprint } from './erasure-hash';

/**
 * Erasure requests (migrations 012 and 015). The identity to erase is sealed in Postgres and the
 * workflow input names only the request, so Temporal's history (kept, replicated, readable in its
 * UI) never holds the contact identity in clear. When the erasure finishes, the sealed identity is
 * dropped: what stays proves the erasure happened (the contact's keyed fingerprint, when, counts)
 * without keeping the person it erased.
 */

type Queryable = Pick<Db, 'query'>;

export class ErasureRequestError extends Error {
  override name = 'ErasureRequestError';
}

/** What a finished erasure leaves (erasure_requests.outcome), also the retried activity's answer. */
export interface ErasureOutcome {
  tickets: number;
  messages: number;
  media: number;
  objects: number;
  exports: number;
  contactHeld: boolean;
  heldTickets: number;
  /** What finishErasure itself deleted (contact exports and their PDFs). */
  removedExports: number;
  removedObjects: number;
}

/** Binds the sealed value to its row: copied to another request or tenant, it does not open. */
const contextOf = (tenantId: string, requestId: string) => `erasure-request\n${tenantId}\n${requestId}`;

/**
 * Stores the request (idempotent per request id; a second call with another identity is refused).
 * A finished request asked again for the same contact is opened again (its identity re-sealed),
 * so re-running an erasure by its request id erases what came in since.
 */
export async function createErasureRequest(
  db: Db,
  box: SecretBox,
  r: { requestId: string; tenantId: string; identity: string; requestedBy: string },
): Promise<void> {
  const sealed = Buffer.from(box.seal(r.identity, contextOf(r.tenantId, r.requestId)), 'utf8');
  const hash = identityFingerprint(box, r.tenantId, r.identity);
  await db.query(
    `insert into erasure_requests (request_id, tenant_id, identity_sealed, contact_hash, requested_by)
     values ($1, $2, $3, $4, $5) on conflict (request_id) do nothing`,
    [r.requestId, r.tenantId, sealed, hash, r.requestedBy.slice(0, 200)],
  );
  const { rows } = await db.query<{ completed: boolean; contact_hash: string | null }>(
    `select completed_at is not null as completed, contact_hash from erasure_requests
      where request_id = $1 and tenant_id = $2`,
    [r.requestId, r.tenantId],
  );
  const row = rows[0];
  const mismatch = () =>
    new ErasureRequestError(`erasure request ${r.requestId} already exists for another contact`);
  if (!row) throw mismatch(); // the id is another tenant's
  if (row.completed) {
    const hashes = erasureHashes(box, r.tenantId, 'contact', r.identity);
    if (row.contact_hash === null || !hashes.includes(row.contact_hash)) throw mismatch();
    await db.query(
      `update erasure_requests set identity_sealed = $3, contact_hash = $4, completed_at = null, outcome = null
        where request_id = $1 and tenant_id = $2 and completed_at is not null`,
      [r.requestId, r.tenantId, sealed, hash],
    );
  }
  const stored = await readErasureIdentity(db, box, r.tenantId, r.requestId);
  if (stored !== r.identity) throw mismatch();
}

/** The identity of a stored, unfinished request; ErasureRequestError when there is none (or it is done). */
export async function readErasureIdentity(
  db: Queryable,
  box: SecretBox,
  tenantId: string,
  requestId: string,
): Promise<string> {
  const { rows } = await db.query<{ identity_sealed: Buffer | null }>(
    'select identity_sealed from erasure_requests where request_id = $1 and tenant_id = $2',
    [requestId, tenantId],
  );
  const row = rows[0];
  if (!row) throw new ErasureRequestError(`no erasure request ${requestId} for tenant ${tenantId}`);
  if (row.identity_sealed === null)
    throw new ErasureRequestError(
      `erasure request ${requestId} is finished; the contact it named is no longer kept`,
    );
  return box.open(row.identity_sealed.toString('utf8'), contextOf(tenantId, requestId));
}

/** The outcome of a finished request, or null while it runs. */
export async function erasureOutcome(
  db: Queryable,
  tenantId: string,
  requestId: string,
): Promise<ErasureOutcome | null> {
  const { rows } = await db.query<{ outcome: ErasureOutcome | null }>(
    `select outcome from erasure_requests where request_id = $1 and tenant_id = $2 and completed_at is not null`,
    [requestId, tenantId],
  );
  return rows[0] ? (rows[0].outcome ?? ({} as ErasureOutcome)) : null;
}

/** Marks the request finished and drops its sealed identity; `q` may be the finishing transaction. */
export async function completeErasureRequest(
  q: Queryable,
  r: { tenantId: string; requestId: string; contactHash: string; outcome: ErasureOutcome },
): Promise<void> {
  await q.query(
    `update erasure_requests
        set identity_sealed = null, contact_hash = $3, completed_at = now(), outcome = $4::jsonb
      where request_id = $1 and tenant_id = $2`,
    [r.requestId, r.tenantId, r.contactHash, JSON.stringify(r.outcome)],
  );
}
