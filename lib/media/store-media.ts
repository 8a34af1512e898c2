import { Readable } from 'node:stream';
import { storedTypeOf } from '../storage/inline-safe';
import type { ObjectStore } from '../storage/object-store';
import { type DownloadOptions, measured, type Opened } from './download';
import { MediaLinkError } from './errors';
import { partialKey } from './partials';

/**
 * Content-addressed storage of a downloaded body at `<tenant>/media/<sha256>`, written so that an
 * object already there is never replaced: a retry or a duplicate image costs a download and no
 * second object.
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
const withRecord = (meta: ObjectMeta, sha256: string, size: number) => ({
  ...storedTypeOf(meta.contentType),
  metadata: {
    sha256,
    size: String(size),
    servedType: meta.contentType.slice(0, 200),
    originalUri: meta.originalUri.slice(0, 1024),
  },
});

/** Streams an opened body into the store by the path its announced size calls for. */
export function storeMedia(
  tenantId: string,
  opened: Opened & { ok: true },
  meta: ObjectMeta,
  options: StoreOptions,
): Promise<Stored> {
  return opened.declaredLength <= SMALL_MEDIA_BYTES
    ? storeSmall(tenantId, opened, meta, options)
    : storeLarge(tenantId, opened, meta, options);
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
 * Large (or unannounced) media: streamed while hashing straight into a partial object, then
 * copied server-side to `<tenant>/media/<sha256>` — one pass over the network instead of a
 * download followed by an upload, in bounded memory. The partial object is always deleted; one a
 * killed worker leaves behind is swept by removeStalePartials and the bucket's lifecycle rule.
 */
async function storeLarge(
  tenantId: string,
  opened: Opened & { ok: true },
  meta: ObjectMeta,
  options: StoreOptions,
): Promise<Stored> {
  const m = measured(opened.body, options);
  const partial = partialKey(tenantId);
  try {
    await options.store.put(partial, Readable.from(m.chunks, { objectMode: false }), {
      contentType: meta.contentType,
    });
    const { sha256, size } = m.finish(opened.declaredLength);
    const storageKey = `${tenantId}/media/${sha256}`;
    const created = await options.store.copyIfAbsent(partial, storageKey, withRecord(meta, sha256, size));
    return { sha256, size, storageKey, created };
  } finally {
    opened.body.destroy();
    await options.store.delete(partial).catch(() => undefined);
  }
}
