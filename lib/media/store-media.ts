import { Readable } from 'node:stream';
import { storedTypeOf } from '../storage/inline-safe';
import type { ObjectStore } from '../storage/object-store';
import { type DownloadOptions, measured, type Opened } from './download';
import { MediaLinkError, MediaRetryableError } from './errors';
import { largeMediaKey, type MediaItemRef } from './keys';

/**
 * Storage of a downloaded body, written so that an object already there is never replaced (keys:
 * lib/media/keys.ts). Small media are content-addressed at `<tenant>/media/<sha256>`: a retry or a
 * duplicate image costs a download and no second object. Large media stream straight into a name
 * fixed before the bytes (one pass, no copy), unique to the attempt.
 */

/** Media announced at or below this size is read into memory, hashed and written once. */
export const SMALL_MEDIA_BYTES = 4 * 1024 * 1024;

export type ObjectMeta = { contentType: string; originalUri: string };

/**
 * `created`: this call wrote the object (it did not exist before), so no purge can have deleted
 * it meanwhile (a purge deletes only objects that existed when it decided): the mirror need not
 * look it up again before recording it.
 */
export type Stored = { sha256: string; size: number; storageKey: string; created: boolean };

export interface StoreOptions extends DownloadOptions {
  store: ObjectStore;
}

// A type a browser could execute (HTML, SVG, XML, script, unknown application/*) is stored as an
// opaque attachment, so even a link without the signed overrides never renders it; the served type
// stays in `servedType` and in Postgres (media.content_type), which the API and the PDF read.
/** The object's record as storeLarge can set it before the bytes (its sha-256 is in Postgres). */
const withOrigin = (meta: ObjectMeta) => ({
  ...storedTypeOf(meta.contentType),
  metadata: {
    servedType: meta.contentType.slice(0, 200),
    originalUri: meta.originalUri.slice(0, 1024),
  },
});
/** The full record of a small object, written once its sha-256 is known. */
const withRecord = (meta: ObjectMeta, sha256: string, size: number) => {
  const record = withOrigin(meta);
  return { ...record, metadata: { sha256, size: String(size), ...record.metadata } };
};

/** Streams an opened body into the store by the path its announced size calls for. */
export function storeMedia(
  tenantId: string,
  item: MediaItemRef,
  opened: Opened & { ok: true },
  meta: ObjectMeta,
  options: StoreOptions,
): Promise<Stored> {
  return opened.declaredLength <= SMALL_MEDIA_BYTES
    ? storeSmall(tenantId, opened, meta, options)
    : storeLarge(tenantId, item, opened, meta, options);
}

/**
 * Small media: into memory (bounded by SMALL_MEDIA_BYTES), hashed, then written once under its
 * sha-256 — a duplicate is refused by the store's precondition, never written twice.
 */
async function storeSmall(
  tenantId: string,
  opened: Opened & { ok: true },
  meta: ObjectMeta,
  options: StoreOptions,
): Promise<Stored> {
  const m = measured(opened.body, options);
  // One buffer of the announced size (at most SMALL_MEDIA_BYTES): no copies, no growth.
  const bytes = Buffer.allocUnsafe(opened.declaredLength);
  let filled = 0;
  for await (const chunk of m.chunks) {
    if (filled + chunk.length > bytes.length) {
      opened.body.destroy();
      throw new MediaLinkError(`media body longer than its announced ${bytes.length} bytes`);
    }
    chunk.copy(bytes, filled);
    filled += chunk.length;
  }
  const { sha256, size } = m.finish(opened.declaredLength);
  const storageKey = `${tenantId}/media/${sha256}`;
  const created = await options.store.putIfAbsent(storageKey, bytes, withRecord(meta, sha256, size));
  return { sha256, size, storageKey, created };
}

/**
 * Large (or unannounced) media: streamed while hashing straight into its final object, whose name
 * (lib/media/keys.ts) is fixed before the bytes — one pass over the network and the store, in
 * bounded memory, no partial object and no copy. The name is this attempt's own and written with
 * a does-not-exist precondition, so nothing recorded is ever replaced. A body that failed (cut
 * short, too large, cancelled) ends the upload; the object it left is deleted here, and one a
 * killed worker leaves behind (no row points at it) goes with the ticket's purge.
 *
 * The object carries no sha256/size metadata (unknown before the bytes; nothing reads it): the
 * media row in Postgres is the record, as for every media object.
 */
async function storeLarge(
  tenantId: string,
  item: MediaItemRef,
  opened: Opened & { ok: true },
  meta: ObjectMeta,
  options: StoreOptions,
): Promise<Stored> {
  const m = measured(opened.body, options);
  const storageKey = largeMediaKey(tenantId, item);
  let written = false;
  try {
    // The body is handed over as it is: a Readable wrapping the generator (no extra buffering).
    written = await options.store.putIfAbsent(
      storageKey,
      Readable.from(m.chunks, { objectMode: false }),
      withOrigin(meta),
    );
    if (!written) throw new MediaRetryableError(`a fresh media key was already taken: ${storageKey}`);
    const { sha256, size } = m.finish(opened.declaredLength);
    return { sha256, size, storageKey, created: true };
  } catch (err) {
    if (written) await options.store.delete(storageKey).catch(() => undefined);
    throw err;
  } finally {
    opened.body.destroy();
  }
}
