import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage } from '@google-cloud/storage';
import { DOWNLOAD_ONLY_TYPE } from './inline-safe';
import { assertSafeKey, type ObjectMetadata, type ObjectStore, type ObjectWriteMeta } from './object-store';

export interface GcsStoreOptions {
  bucket: string;
  projectId: string;
  /** e.g. http://127.0.0.1:4443 for fake-gcs-server; unset for real GCS (Application Default Credentials). */
  emulatorHost?: string;
}

/** The emulator's base URL from STORAGE_EMULATOR_HOST-style input (with or without /storage/v1). */
export const emulatorEndpoint = (host: string) => host.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');

export function createStorageClient(opts: GcsStoreOptions): Storage {
  if (!opts.emulatorHost) return new Storage({ projectId: opts.projectId });
  // Against the emulator: plain HTTP endpoint, fixed project, no credential lookup.
  const endpoint = emulatorEndpoint(opts.emulatorHost);
  const storage = new Storage({ projectId: opts.projectId, apiEndpoint: endpoint });
  // The Node library takes STORAGE_EMULATOR_HOST verbatim as its JSON API base (without the
  // /storage/v1 path other GCS clients add); pin the base so the variable means the same here.
  (storage as unknown as { baseUrl: string }).baseUrl = `${endpoint}/storage/v1`;
  return storage;
}

/**
 * V4 signing is local (no network): real GCS signs with the service account of Application
 * Default Credentials. The emulator does not check signatures, so against it we sign with a
 * throw-away key on a separate client (giving the main client credentials would make it fetch
 * OAuth tokens from Google).
 */
function emulatorSigningBucket(opts: GcsStoreOptions & { emulatorHost: string }) {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const endpoint = emulatorEndpoint(opts.emulatorHost);
  return new Storage({
    projectId: opts.projectId,
    apiEndpoint: endpoint,
    credentials: {
      client_email: `emulator@${opts.projectId}.iam.gserviceaccount.com`,
      private_key: privateKey,
    },
  }).bucket(opts.bucket);
}

const isPreconditionFailed = (err: unknown) => (err as { code?: number }).code === 412;

export function createGcsStore(storage: Storage, opts: GcsStoreOptions): ObjectStore {
  const bucket = storage.bucket(opts.bucket);
  let signingBucket: ReturnType<Storage['bucket']> | null = null;
  const signer = () => {
    signingBucket ??= opts.emulatorHost
      ? emulatorSigningBucket({ ...opts, emulatorHost: opts.emulatorHost })
      : bucket;
    return signingBucket;
  };
  async function head(key: string): Promise<ObjectMetadata | null> {
    assertSafeKey(key);
    try {
      const [md] = await bucket.file(key).getMetadata();
      return {
        contentType: md.contentType ?? 'application/octet-stream',
        size: Number(md.size),
        metadata: Object.fromEntries(Object.entries(md.metadata ?? {}).map(([k, v]) => [k, String(v)])),
      };
    } catch (err) {
      if ((err as { code?: number }).code === 404) return null;
      throw err;
    }
  }
  /** One simple (non-resumable) upload; `ifAbsent` makes GCS refuse it (412) when `key` exists. */
  async function upload(
    key: string,
    body: Readable,
    meta: ObjectWriteMeta,
    ifAbsent: boolean,
  ): Promise<void> {
    assertSafeKey(key);
    await pipeline(
      body,
      bucket.file(key).createWriteStream({
        resumable: false,
        validation: false,
        contentType: meta.contentType,
        metadata: {
          contentType: meta.contentType,
          ...(meta.contentDisposition ? { contentDisposition: meta.contentDisposition } : {}),
          metadata: meta.metadata ?? {},
        },
        ...(ifAbsent ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
      }),
    );
  }
  return {
    kind: 'gcs',
    async ensureReady() {
      const [exists] = await bucket.exists();
      if (!exists && opts.emulatorHost)
        await storage.createBucket(opts.bucket).catch((err) => {
          if ((err as { code?: number }).code !== 409) throw err;
        });
      else if (!exists) throw new Error(`GCS bucket ${opts.bucket} does not exist`);
    },
    async put(key, body: Readable, meta) {
      await upload(key, body, meta, false);
    },
    async putIfAbsent(key, body, meta) {
      try {
        await upload(key, Buffer.isBuffer(body) ? Readable.from([body]) : body, meta, true);
        return true;
      } catch (err) {
        if (isPreconditionFailed(err)) return false;
        throw err;
      }
    },
    head,
    async list(prefix) {
      assertSafeKey(prefix.replace(/\/+$/, ''));
      const [files] = await bucket.getFiles({ prefix });
      return files.map((f) => ({ key: f.name, createdAt: new Date(String(f.metadata.timeCreated ?? 0)) }));
    },
    get(key) {
      assertSafeKey(key);
      return bucket.file(key).createReadStream({ validation: false });
    },
    async delete(key) {
      assertSafeKey(key);
      await bucket.file(key).delete({ ignoreNotFound: true });
    },
    async setTemporaryHold(key, hold) {
      assertSafeKey(key);
      try {
        await bucket.file(key).setMetadata({ temporaryHold: hold });
      } catch (err) {
        // An object that is gone has nothing to hold or release.
        if ((err as { code?: number }).code !== 404) throw err;
      }
    },
    async signedReadUrl(key, { expiresInSeconds, downloadName, forceDownload }) {
      assertSafeKey(key);
      const disposition = downloadName
        ? `attachment; filename*=UTF-8''${encodeURIComponent(downloadName)}`
        : forceDownload
          ? 'attachment'
          : undefined;
      const [url] = await signer()
        .file(key)
        .getSignedUrl({
          version: 'v4',
          action: 'read',
          expires: Date.now() + expiresInSeconds * 1000,
          // Signed into the URL: GCS answers with these whatever the object's own metadata says.
          ...(disposition ? { responseDisposition: disposition } : {}),
          ...(forceDownload ? { responseType: DOWNLOAD_ONLY_TYPE } : {}),
        });
      return url;
    },
    async ping() {
      await bucket.exists();
    },
  };
}
