import { createHash, randomUUID } from 'node:crypto';

/**
 * Storage keys of mirrored media (docs/architecture.md, "Storage keys"):
 *
 * - small media (≤ SMALL_MEDIA_BYTES): `<tenant>/media/<sha256>`, content-addressed — hashed in
 *   memory before the one write, so the name is known before the bytes go out;
 * - large media: `<tenant>/media/t-<ticket hash>/<item hash>-<uuid>`, a name fixed *before* the
 *   bytes are read, so the download streams while hashing straight into its final object: no
 *   partial object, no server-side copy to a sha-256 name (on the emulator a second pass over
 *   every byte). The sha-256 is recorded in Postgres with the key, as for small media.
 *
 * Why this shape:
 * - Derived only from hashes of ids (tenant, ticket, message id, ordinal), never from a raw Blip
 *   string, so a hostile id cannot shape a key (and assertSafeKey always holds).
 * - One fresh name per attempt (the uuid), written with a does-not-exist precondition: a retry,
 *   or an attempt that outlived its heartbeat, never replaces bytes a recorded row vouches for —
 *   each recorded row points at exactly the object its own attempt wrote and hashed.
 * - Under one prefix per ticket: an object a killed worker wrote but never recorded (no row
 *   points at it) is still found by the ticket's purge (lib/retention/purge.ts), which deletes
 *   everything under the prefix, whatever the rows say.
 * - Existing rows keep their `<tenant>/media/<sha256>` keys: reads, signing, holds, verification
 *   and the purge all use the row's storage_key, never a key derived from a sha-256.
 */

const digest = (parts: readonly (string | number)[]) =>
  createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

export interface MediaItemRef {
  ticketId: string;
  messageId: string;
  ordinal: number;
}

/** The prefix holding every large media object of one ticket (with the trailing slash). */
export function ticketMediaPrefix(tenantId: string, ticketId: string): string {
  return `${tenantId}/media/t-${digest(['ticket', tenantId, ticketId])}/`;
}

/** A fresh final name for one attempt at storing a large media item. */
export function largeMediaKey(tenantId: string, item: MediaItemRef): string {
  const itemHash = digest(['item', tenantId, item.ticketId, item.messageId, item.ordinal]);
  return `${ticketMediaPrefix(tenantId, item.ticketId)}${itemHash}-${randomUUID()}`;
}
