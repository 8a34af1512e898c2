import type { Readable } from 'node:stream';

/** The storage the archive needs: content-addressed media, exports, short-lived links. */
export interface ObjectMetadata {
  contentType: string;
  size: number;
  metadata: Record<string, string>;
}

/** How an object is written; `contentDisposition` (e.g. `attachment`) is served with it. */
export interface ObjectWriteMeta {
  contentType: string;
  contentDisposition?: string;
  metadata?: Record<string, string>;
}

export interface ObjectStore {
  readonly kind: 'gcs' | 'local';
  ensureReady(): Promise<void>;
  /** Writes a stream to `key` and resolves once the object is complete and visible. */
  put(key: string, body: Readable, meta: ObjectWriteMeta): Promise<void>;
  /**
   * Writes `key` only if no object has that name yet (content-addressed media: the same name
   * always holds the same bytes). Resolves to false when it already existed.
   */
  putIfAbsent(key: string, body: Buffer | Readable, meta: ObjectWriteMeta): Promise<boolean>;
  head(key: string): Promise<ObjectMetadata | null>;
  /** Objects whose key starts with `prefix` (e.g. a tenant's partial uploads), with when each was made. */
  list(prefix: string): Promise<Array<{ key: string; createdAt: Date }>>;
  get(key: string): Readable;
  delete(key: string): Promise<void>;
  /**
   * A short-lived URL that reads one object without further credentials (GCS V4 signing). Only
   * ever issued after the caller's tenant check; `downloadName` makes browsers save it under a name;
   * `forceDownload` makes the storage answer `application/octet-stream` as an attachment whatever
   * the object's type (media a browser could execute: lib/storage/inline-safe.ts).
   */
  signedReadUrl(
    key: string,
    opts: { expiresInSeconds: number; downloadName?: string; forceDownload?: boolean },
  ): Promise<string>;
  ping(): Promise<void>;
  /**
   * GCS object hold (temporary hold): while set, GCS refuses to delete or replace the object. Real
   * GCS enforces it; the local emulator accepts the call and ignores it (docs/deploy.md, WORM).
   * Optional: a store without holds leaves legal holds to the database.
   */
  setTemporaryHold?(key: string, hold: boolean): Promise<void>;
}

/** Keys are built by us from validated ids and hashes; anything else is refused. */
export function assertSafeKey(key: string): void {
  if (
    !/^[A-Za-z0-9._@-]+(\/[A-Za-z0-9._@-]+)*$/.test(key) ||
    key.split('/').some((p) => p === '.' || p === '..')
  ) {
    throw new Error(`unsafe storage key: ${JSON.stringify(key.slice(0, 80))}`);
  }
}
