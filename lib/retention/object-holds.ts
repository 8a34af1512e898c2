import type { Db } from '../db/pool';
import { HELD_TICKET_SQL, type HoldKind } from '../db/retention';
import { sealObjectKey } from '../db/seals';
import type { ObjectStore } from '../storage/object-store';

/**
 * Legal holds mirrored into the object store (docs/deploy.md, WORM): the media objects and sealed
 * copies of every ticket a hold covers get a GCS temporary hold, so not even an operator with
 * bucket access can delete or replace them while the hold lasts. On release, an object keeps its
 * storage hold while another active hold still covers a ticket that uses it (media are
 * content-addressed and can be shared between tickets).
 */

type Scope = { kind: HoldKind; target: string } | 'active';

async function objectKeys(db: Db, tenantId: string, scope: Scope): Promise<Set<string>> {
  const where =
    scope === 'active'
      ? HELD_TICKET_SQL
      : scope.kind === 'ticket'
        ? 't.ticket_id = $2'
        : '$2 in (t.customer_identity, t.contact_identity, t.tunnel_originator)';
  const params = scope === 'active' ? [tenantId] : [tenantId, scope.target];
  const media = await db.query<{ storage_key: string }>(
    `select distinct m.storage_key from media m
       join tickets t on t.tenant_id = m.tenant_id and t.ticket_id = m.ticket_id
      where t.tenant_id = $1 and m.storage_key is not null and ${where}`,
    params,
  );
  const seals = await db.query<{ ticket_id: string; seal_id: string }>(
    `select s.ticket_id, s.seal_id from seals s
       join tickets t on t.tenant_id = s.tenant_id and t.ticket_id = s.ticket_id
      where t.tenant_id = $1 and ${where}`,
    params,
  );
  return new Set([
    ...media.rows.map((r) => r.storage_key),
    ...seals.rows.map((r) => sealObjectKey(tenantId, r.ticket_id, r.seal_id)),
  ]);
}

export interface ObjectHoldResult {
  /** False when the store has no object holds (nothing was done). */
  supported: boolean;
  objects: number;
}

/** After a hold is placed: every object of the tickets it covers gets a storage hold. */
export async function holdObjects(
  db: Db,
  store: ObjectStore,
  tenantId: string,
  hold: { kind: HoldKind; target: string },
): Promise<ObjectHoldResult> {
  if (!store.setTemporaryHold) return { supported: false, objects: 0 };
  const keys = await objectKeys(db, tenantId, hold);
  for (const key of keys) await store.setTemporaryHold(key, true);
  return { supported: true, objects: keys.size };
}

/** After a hold is released: its objects lose their storage hold unless another active hold covers them. */
export async function releaseObjects(
  db: Db,
  store: ObjectStore,
  tenantId: string,
  hold: { kind: HoldKind; target: string },
): Promise<ObjectHoldResult> {
  if (!store.setTemporaryHold) return { supported: false, objects: 0 };
  const still = await objectKeys(db, tenantId, 'active');
  const keys = [...(await objectKeys(db, tenantId, hold))].filter((k) => !still.has(k));
  for (const key of keys) await store.setTemporaryHold(key, false);
  return { supported: true, objects: keys.length };
}
