import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bucket, Storage } from '@google-cloud/storage';
import { MediaLinkError, MediaRetryableError } from '../../lib/media/errors';
import { ticketMediaPrefix } from '../../lib/media/keys';
import { type MirrorDeps, mirrorMedia } from '../../lib/media/mirror';
import { removeStalePartials } from '../../lib/media/partials';
import { SMALL_MEDIA_BYTES } from '../../lib/media/store-media';
import { createGcsStore, createStorageClient } from '../../lib/storage/gcs-store';
import type { ObjectStore } from '../../lib/storage/object-store';
import { stackEnv, uniqueSuffix } from '../../tools/harness/stack-env';

/**
 * The media mirror against the real GCS emulator and a local media host that can announce or
 * omit the length and cut a body short: both paths (small media in memory, large media streamed
 * to a partial object and copied) store exactly the source bytes under their sha-256, never
 * rewrite an object already there, and never leave anything behind when a transfer fails. A link
 * that misbehaves (5xx, a DNS lookup that fails for now, a body that trickles) fails with a
 * MediaLinkError, which spends the item's attempt budget; trouble on our side (the store) does not.
 */

const TENANT = 'mirrortenant';
const SMALL = randomBytes(200_000);
const LARGE = randomBytes(SMALL_MEDIA_BYTES + 1_500_000);
const MAX_BYTES = 2 * LARGE.length;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type Mode = 'full' | 'chunked' | 'cut' | '503' | 'trickle';
const bodies: Record<string, Buffer> = { small: SMALL, large: LARGE, huge: Buffer.alloc(MAX_BYTES + 1, 1) };

let host: http.Server;
let origin: string;
let bucket: Bucket;
let store: ObjectStore;

beforeAll(async () => {
  host = http.createServer((req, res) => {
    const [, name, mode] = (req.url ?? '').split('/') as [string, string, Mode];
    const body = bodies[name];
    if (!body) return res.writeHead(404).end();
    if (mode === '503') return res.writeHead(503).end();
    res.setHeader('content-type', 'video/mp4');
    if (mode === 'chunked') return res.writeHead(200).end(body); // no Content-Length: chunked
    res.writeHead(200, { 'content-length': String(body.length) });
    if (mode === 'trickle') {
      // A byte every 100 ms: never idle long enough for the body timeout.
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= body.length) return clearInterval(timer);
        res.write(body.subarray(sent, ++sent));
      }, 100);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (mode === 'cut') {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  const env = stackEnv();
  const opts = {
    bucket: `tv-test-mirror-${uniqueSuffix().replace(/_/g, '-')}`,
    projectId: env.GCS_PROJECT_ID ?? 'ticket-vault-local',
    emulatorHost: env.STORAGE_EMULATOR_HOST,
  };
  const storage: Storage = createStorageClient(opts);
  store = createGcsStore(storage, opts);
  await store.ensureReady();
  bucket = storage.bucket(opts.bucket);
});

afterAll(async () => {
  await bucket?.deleteFiles({ force: true }).catch(() => undefined);
  await bucket?.delete().catch(() => undefined);
  host?.closeAllConnections();
  await new Promise((r) => host?.close(r));
});

const ITEM = { ticketId: 'ticket-1', messageId: 'message-1', ordinal: 0 };
const mirror = (path: string, deps: Partial<MirrorDeps> = {}) =>
  mirrorMedia(
    TENANT,
    { uri: path.startsWith('http') ? path : `${origin}${path}`, declaredType: 'video/mp4', item: ITEM },
    {
      store,
      allowedOrigins: [origin],
      maxBytes: MAX_BYTES,
      timeoutMs: 10_000,
      deadlinePolicy: { floorMs: 10_000, minBytesPerSecond: 64 * 1024 },
      refresh: async () => null,
      ...deps,
    },
  );

async function tenantObjects() {
  const [files] = await bucket.getFiles({ prefix: `${TENANT}/` });
  return files.map((f) => f.name).sort();
}

async function stored(key: string) {
  const [bytes] = await bucket.file(key).download();
  const [md] = await bucket.file(key).getMetadata();
  return { sha256: sha(bytes), generation: String(md.generation), metadata: md.metadata };
}

test.each([['small, announced length', '/small/full']])(
  '%s: stored once under its sha-256, with its record, nothing else left',
  async (_label, path) => {
    const bytes = SMALL;
    const key = `${TENANT}/media/${sha(bytes)}`;
    const outcome = await mirror(path);
    expect(outcome).toEqual({
      status: 'stored',
      sha256: sha(bytes),
      size: bytes.length,
      contentType: 'video/mp4',
      storageKey: key,
      // The cases share one body: the first writes the object, the next finds it there.
      created: expect.any(Boolean),
    });
    const first = await stored(key);
    expect(first.sha256).toBe(sha(bytes));
    expect(first.metadata).toMatchObject({
      sha256: sha(bytes),
      size: String(bytes.length),
      // The record is the first link the bytes came from: the cases share one body.
      originalUri: expect.stringMatching(new RegExp(`^${origin}/small/`)),
    });
    // Mirroring the same bytes again (a retry, a duplicate) does not rewrite the object.
    // It says so (`created: false`), so the mirror looks the object up again before relying on it.
    await expect(mirror(path)).resolves.toMatchObject({ status: 'stored', storageKey: key, created: false });
    expect((await stored(key)).generation).toBe(first.generation);
    expect((await tenantObjects()).filter((k) => !k.startsWith(`${TENANT}/media/`))).toEqual([]);
  },
);

test.each([
  ['large, announced length', '/large/full', LARGE],
  ['large, chunked', '/large/chunked', LARGE],
  ['small, chunked (length unknown: the streamed path)', '/small/chunked', SMALL],
])(
  '%s: streamed straight into the item’s own final name (no partial, no copy); a retry never replaces it',
  async (_label, path, bytes) => {
    const before = await tenantObjects();
    const prefix = ticketMediaPrefix(TENANT, ITEM.ticketId);
    const outcome = await mirror(path);
    expect(outcome).toEqual({
      status: 'stored',
      sha256: sha(bytes),
      size: bytes.length,
      contentType: 'video/mp4',
      storageKey: expect.stringMatching(new RegExp(`^${prefix}[0-9a-f]{32}-[0-9a-f-]{36}$`)),
      created: true,
    });
    const key = (outcome as { storageKey: string }).storageKey;
    // Derived from hashes of the ids only: nothing of the raw ticket or message id in the name.
    expect(key).not.toContain(ITEM.ticketId);
    expect(key).not.toContain(ITEM.messageId);
    const first = await stored(key);
    expect(first.sha256).toBe(sha(bytes));
    expect(first.metadata).toMatchObject({ servedType: 'video/mp4', originalUri: `${origin}${path}` });
    // A retry of the same item writes its own object: the one a row may already vouch for stays as it was.
    const again = await mirror(path);
    expect(again).toMatchObject({ status: 'stored', sha256: sha(bytes), created: true });
    expect((again as { storageKey: string }).storageKey).not.toBe(key);
    expect(await stored(key)).toEqual(first);
    // The two objects and nothing else: no partial object, no copy under the sha-256.
    expect((await tenantObjects()).filter((k) => !before.includes(k)).sort()).toEqual(
      [key, (again as { storageKey: string }).storageKey].sort(),
    );
  },
);

test('a fresh large-media name that is somehow taken is never overwritten (does-not-exist precondition)', async () => {
  const taken: ObjectStore = {
    ...store,
    putIfAbsent: async (key, body, meta) => {
      // Another writer got there first: the precondition must make this upload fail.
      await store.putIfAbsent(key, Buffer.from('first'), { contentType: 'text/plain' });
      return store.putIfAbsent(key, body, meta);
    },
  };
  const before = await tenantObjects();
  const failure = await mirror('/large/full', { store: taken }).catch((err) => err);
  expect(failure).toBeInstanceOf(MediaRetryableError);
  const added = (await tenantObjects()).filter((k) => !before.includes(k));
  expect(added).toHaveLength(1);
  const [bytes] = await bucket.file(added[0] as string).download();
  expect(bytes.toString()).toBe('first');
});

test('a body cut short is retried as the link’s fault and leaves no object behind (small and large)', async () => {
  const before = await tenantObjects();
  await expect(mirror('/small/cut')).rejects.toBeInstanceOf(MediaLinkError);
  await expect(mirror('/large/cut')).rejects.toBeInstanceOf(MediaLinkError);
  expect(await tenantObjects()).toEqual(before);
});

test('an unannounced body past MEDIA_MAX_BYTES is cut off, recorded unavailable, nothing stored', async () => {
  const before = await tenantObjects();
  await expect(mirror('/huge/chunked')).resolves.toEqual({
    status: 'unavailable',
    reason: `larger than the ${MAX_BYTES}-byte limit`,
  });
  await expect(mirror('/huge/full')).resolves.toEqual({
    status: 'unavailable',
    reason: `larger than the ${MAX_BYTES}-byte limit`,
  });
  expect(await tenantObjects()).toEqual(before);
});

test('a link answering 503 fails as the link’s fault (spends its budget), not as a plain retry', async () => {
  const failure = await mirror('/small/503').catch((err) => err);
  expect(failure).toBeInstanceOf(MediaLinkError);
  expect(failure.message).toBe('media host answered HTTP 503');
});

test('a body that trickles a byte at a time is cut off at its deadline, as the link’s fault, nothing stored', async () => {
  const before = await tenantObjects();
  for (const path of ['/small/trickle', '/large/trickle']) {
    const failure = await mirror(path, { deadlinePolicy: { floorMs: 700, minBytesPerSecond: 1024 } }).catch(
      (err) => err,
    );
    expect(failure).toBeInstanceOf(MediaLinkError);
    expect(failure.message).toMatch(/^download too slow: deadline of \d+ s passed after \d+ of \d+ bytes$/);
  }
  expect(await tenantObjects()).toEqual(before);
});

test('a transient DNS failure (EAI_AGAIN) is the link’s fault and retried; an unknown host is unavailable', async () => {
  const failing = (code: string) => async () => {
    throw Object.assign(new Error(`getaddrinfo ${code} media.example`), { code });
  };
  const again = await mirror('http://media.example/x.jpg', { lookup: failing('EAI_AGAIN') }).catch((e) => e);
  expect(again).toBeInstanceOf(MediaLinkError);
  expect(again.message).toBe('media host lookup failed: EAI_AGAIN');
  await expect(mirror('http://media.example/x.jpg', { lookup: failing('ENOTFOUND') })).resolves.toEqual({
    status: 'unavailable',
    reason: 'not fetched: host media.example does not resolve',
  });
});

test('a store that fails is our side: retried without spending the link’s budget', async () => {
  const broken: ObjectStore = {
    ...store,
    putIfAbsent: async () => {
      throw new Error('storage unavailable');
    },
  };
  const failure = await mirror('/small/full', { store: broken }).catch((err) => err);
  expect(failure).toBeInstanceOf(MediaRetryableError);
  expect(failure).not.toBeInstanceOf(MediaLinkError);
});

test('partial uploads older than an hour are swept; younger ones and other objects stay', async () => {
  const partial = `${TENANT}/incoming/left-by-a-killed-worker.partial`;
  const other = `${TENANT}/incoming/not-a-partial`;
  for (const key of [partial, other]) await bucket.file(key).save(Buffer.from('x'), { resumable: false });
  // Half an hour later: too young, another worker may still be writing it.
  expect(await removeStalePartials(store, [TENANT, 'othertenant'], 3600_000, Date.now() + 1800_000)).toBe(0);
  expect(await tenantObjects()).toEqual(expect.arrayContaining([partial, other]));
  // Two hours later: gone; the object that is not a partial upload stays.
  expect(await removeStalePartials(store, [TENANT], 3600_000, Date.now() + 7200_000)).toBe(1);
  const left = await tenantObjects();
  expect(left).not.toContain(partial);
  expect(left).toContain(other);
});
