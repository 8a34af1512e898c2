import { type Db, inTransaction, type Queryable } from './pool';

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
  /** The mirror wrote this object itself (see lib/media/store-media.ts `Stored`). */
  created?: boolean;
}

/** What the mirror made of one media row: stored (with its record) or unavailable (with why). */
export type MediaResult = { messageId: string; ordinal: number } & (
  | ({ status: 'stored' } & StoredMediaResult)
  | { status: 'unavailable'; reason: string }
);

/**
 * Records the results of one mirror batch in one statement (one commit instead of one per file).
 * Only pending rows change: a result is final once recorded, so an attempt that outlived its
 * heartbeat timeout can never change a row its retry (or the seal) already relied on. Returns
 * how many rows changed.
 */
export async function markMediaResults(
  db: Db,
  tenantId: string,
  ticketId: string,
  results: readonly MediaResult[],
): Promise<number> {
  return updateMediaResults((text, values) => db.query(text, values), tenantId, ticketId, results);
}

type RunQuery = (text: string, values: unknown[]) => Promise<{ rowCount: number | null }>;

async function updateMediaResults(
  query: RunQuery,
  tenantId: string,
  ticketId: string,
  results: readonly MediaResult[],
): Promise<number> {
  if (results.length === 0) return 0;
  const values: unknown[] = [tenantId, ticketId];
  const tuples = results.map((r) => {
    const b = values.length;
    values.push(
      r.messageId,
      r.ordinal,
      r.status,
      r.status === 'unavailable' ? r.reason.slice(0, 500) : null,
      r.status === 'stored' ? r.sha256 : null,
      r.status === 'stored' ? r.size : null,
      r.status === 'stored' ? r.contentType : null,
      r.status === 'stored' ? r.storageKey : null,
    );
    return `($${b + 1}::text,$${b + 2}::int,$${b + 3}::text,$${b + 4}::text,$${b + 5}::text,$${b + 6}::bigint,$${b + 7}::text,$${b + 8}::text)`;
  });
  const { rowCount } = await query(
    `update media m set status = v.status, reason = v.reason,
            sha256 = coalesce(v.sha256, m.sha256), size = coalesce(v.size, m.size),
            content_type = coalesce(v.content_type, m.content_type),
            storage_key = coalesce(v.storage_key, m.storage_key),
            stored_at = case when v.status = 'stored' then now() else m.stored_at end
       from (values ${tuples.join(',')}) as v(message_id, ordinal, status, reason, sha256, size, content_type, storage_key)
      where m.tenant_id = $1 and m.ticket_id = $2 and m.message_id = v.message_id
        and m.ordinal = v.ordinal and m.status = 'pending'`,
    values,
  );
  return rowCount ?? 0;
}

/**
 * Takes the lock guarding a content-addressed media object (`<tenant>/media/<sha256>`) until the
 * transaction ends. A purge holds it from deciding that no other ticket uses the object until its
 * media rows are gone; the mirror holds it from checking that the object is there until its row
 * says stored. So one never deletes an object the other is about to rely on. Keys are locked in
 * sorted order, the same in both, so two holders of several never deadlock.
 */
export async function lockMediaObjects(client: Queryable, storageKeys: Iterable<string>): Promise<void> {
  const keys = [...new Set(storageKeys)].sort();
  if (keys.length === 0) return;
  // One round trip for the batch; `with ordinality` keeps the sorted order the locks are taken in.
  await client.query(
    `select pg_advisory_xact_lock(hashtext(k.key))
       from unnest($1::text[]) with ordinality as k(key, n) order by k.n`,
    [keys],
  );
}

/**
 * markMediaResults for a mirror whose objects a purge may delete meanwhile: under each stored
 * object's lock, a result whose object is gone (a purge of another ticket that shared it deleted
 * it after this mirror found it already there) is not recorded and stays pending, so it is
 * downloaded and stored again. Returns the results left pending.
 */
export async function markMediaResultsLocked(
  db: Db,
  exists: (storageKey: string) => Promise<boolean>,
  tenantId: string,
  ticketId: string,
  results: readonly MediaResult[],
): Promise<MediaResult[]> {
  const stored = results.filter((r): r is MediaResult & StoredMediaResult => r.status === 'stored');
  if (stored.length === 0) {
    await markMediaResults(db, tenantId, ticketId, results);
    return [];
  }
  return inTransaction(db, async (client) => {
    await lockMediaObjects(
      client,
      stored.map((r) => r.storageKey),
    );
    const missing: MediaResult[] = [];
    // An object this mirror wrote itself cannot have been purged meanwhile; only one it found
    // already there (shared with another ticket) is looked up again.
    for (const r of stored) if (!r.created && !(await exists(r.storageKey))) missing.push(r);
    await updateMediaResults(
      (text, values) => client.query(text, values),
      tenantId,
      ticketId,
      results.filter((r) => !missing.includes(r)),
    );
    return missing;
  });
}

/** An item's attempt record: attempts counted so far, time since its first failure, last failure. */
export interface MediaAttempts {
  attempts: number;
  /** Milliseconds since the link first failed (Postgres' clock, the same for every worker); 0 if never. */
  sinceFirstFailureMs: number;
  lastError: string | null;
}

type MediaKey = { messageId: string; ordinal: number };

const attemptColumns = `attempts, last_error,
  coalesce(extract(epoch from (now() - first_failure_at)) * 1000, 0)::float8 as since_ms`;

function toAttempts(row: { attempts: number; last_error: string | null; since_ms: number } | undefined) {
  return row
    ? { attempts: row.attempts, sinceFirstFailureMs: row.since_ms, lastError: row.last_error }
    : null;
}

/**
 * Counts an attempt before it starts, so one that never ends (the worker killed mid-download, the
 * activity timed out) counts too. Null when the row is no longer pending (another attempt recorded
 * its result): there is nothing left to do.
 */
export async function startMediaAttempt(
  db: Db,
  tenantId: string,
  ticketId: string,
  item: MediaKey,
): Promise<MediaAttempts | null> {
  const { rows } = await db.query(
    `update media set attempts = attempts + 1
      where tenant_id = $1 and ticket_id = $2 and message_id = $3 and ordinal = $4 and status = 'pending'
      returning ${attemptColumns}`,
    [tenantId, ticketId, item.messageId, item.ordinal],
  );
  return toAttempts(rows[0]);
}

/** Hands an attempt back: it failed on our side (the object store, a cancellation), not the link's. */
export async function releaseMediaAttempt(
  db: Db,
  tenantId: string,
  ticketId: string,
  item: MediaKey,
): Promise<void> {
  await db.query(
    `update media set attempts = greatest(attempts - 1, 0)
      where tenant_id = $1 and ticket_id = $2 and message_id = $3 and ordinal = $4 and status = 'pending'`,
    [tenantId, ticketId, item.messageId, item.ordinal],
  );
}

/** Records that the link failed this attempt; returns the record as it now stands. */
export async function recordMediaFailure(
  db: Db,
  tenantId: string,
  ticketId: string,
  item: MediaKey,
  error: string,
): Promise<MediaAttempts | null> {
  const { rows } = await db.query(
    `update media set last_error = $5, first_failure_at = coalesce(first_failure_at, now())
      where tenant_id = $1 and ticket_id = $2 and message_id = $3 and ordinal = $4 and status = 'pending'
      returning ${attemptColumns}`,
    [tenantId, ticketId, item.messageId, item.ordinal, error.slice(0, 500)],
  );
  return toAttempts(rows[0]);
}
