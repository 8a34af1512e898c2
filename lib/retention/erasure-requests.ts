import type { SecretBox } from '../crypto/secret-box';
import type { Db } from '../db/pool';

/**
 * Erasure requests (migration 012). The identity to erase is sealed in Postgres and the workflow
 * input names only the request, so Temporal's history (kept, replicated, readable in its UI) never
 * holds the contact identity in clear.
 */

export class ErasureRequestError extends Error {
  override name = 'ErasureRequestError';
}

/** Binds the sealed value to its row: copied to another request or tenant, it does not open. */
const contextOf = (tenantId: string, requestId: string) => `erasure-request\n${tenantId}\n${requestId}`;

/** Stores the request (idempotent per request id; a second call with another identity is refused). */
export async function createErasureRequest(
  db: Db,
  box: SecretBox,
  r: { requestId: string; tenantId: string; identity: string; requestedBy: string },
): Promise<void> {
  const sealed = Buffer.from(box.seal(r.identity, contextOf(r.tenantId, r.requestId)), 'utf8');
  await db.query(
    `insert into erasure_requests (request_id, tenant_id, identity_sealed, requested_by)
     values ($1, $2, $3, $4) on conflict (request_id) do nothing`,
    [r.requestId, r.tenantId, sealed, r.requestedBy.slice(0, 200)],
  );
  const stored = await readErasureIdentity(db, box, r.tenantId, r.requestId);
  if (stored !== r.identity)
    throw new ErasureRequestError(`erasure request ${r.requestId} already exists for another contact`);
}

/** The identity of a stored request; ErasureRequestError when there is none for this tenant. */
export async function readErasureIdentity(
  db: Pick<Db, 'query'>,
  box: SecretBox,
  tenantId: string,
  requestId: string,
): Promise<string> {
  const { rows } = await db.query<{ identity_sealed: Buffer }>(
    'select identity_sealed from erasure_requests where request_id = $1 and tenant_id = $2',
    [requestId, tenantId],
  );
  const row = rows[0];
  if (!row) throw new ErasureRequestError(`no erasure request ${requestId} for tenant ${tenantId}`);
  return box.open(row.identity_sealed.toString('utf8'), contextOf(tenantId, requestId));
}
