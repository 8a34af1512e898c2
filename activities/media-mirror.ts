import { createHash, randomUUID } from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';
import { storedTypeOf } from '../lib/storage/inline-safe';
import type { ObjectStore } from '../lib/storage/object-store';

/**
 * Mirrors one media link to `<tenant>/media/<sha256>`: downloaded with time and size limits and
 * hashed while it streams (bounded memory), written so that an object already there is never
 * replaced — a retry or a duplicate image costs a download and no second object.
 */

export type MirrorOutcome =
  | { status: 'stored'; sha256: string; size: number; contentType: string; storageKey: string }
  | { status: 'unavailable'; reason: string };

/** Transient trouble (timeouts, 429, 5xx, resets): the activity retries it. */
export class MediaRetryableError extends Error {
  override name = 'MediaRetryableError';
}

export interface MirrorDeps {
  store: ObjectStore;
  /**
   * Origins (`scheme://host[:port]`) trusted as Blip media hosts even when they resolve to a
   * private or loopback address (BLIP_MEDIA_ALLOWED_ORIGINS); every other host must be public.
   */
  allowedOrigins?: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  /** Asks Blip for a fresh link when the old one has expired (403). */
  refresh: (uri: string) => Promise<string | null>;
  /**
   * A fresh link that is refused too is most likely clock skew or a lagging CDN: retried, until
   * the last attempt, which records the media as unavailable instead of failing the ticket.
   */
  giveUpOnRefusedRefresh?: boolean;
  onProgress?: () => void;
  /** Aborts the transfer (the activity was cancelled or its heartbeat timed out). */
  signal?: AbortSignal;
}

class TooLargeError extends Error {}

// ── SSRF guard ───────────────────────────────────────────────────────────────────────────────
// A media link comes from the public (via Blip): it is fetched only over http(s), only from a
// public address (or a configured Blip media origin), never through a redirect.

const blocked = new net.BlockList();
for (const [net4, bits] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net4, bits, 'ipv4');
for (const [net6, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64 (embeds an IPv4 address)
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (fd00::/8 included)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net6, bits, 'ipv6');

/** Why an IP address must not be fetched from, or null when it is a public address. */
export function forbiddenAddress(address: string): string | null {
  const family = net.isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  // BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 rules too.
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')
    ? `${address} is a loopback, private, link-local or reserved address`
    : null;
}

export function normalizeOrigins(origins: readonly string[]): string[] {
  return origins.flatMap((o) => {
    try {
      return [new URL(o.trim()).origin];
    } catch {
      return [];
    }
  });
}

class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

/**
 * DNS lookup used by the guarded agent at connect time: the address actually connected to is
 * the one checked, so a name that resolves to a public address for the check and a private one
 * for the connection (DNS rebinding) is refused too.
 */
const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const list = addresses as dns.LookupAddress[];
    for (const a of list) {
      const why = forbiddenAddress(a.address);
      if (why) return callback(new RefusedAddressError(`${hostname} resolves to ${why}`), '', 4);
    }
    if ((options as dns.LookupOptions).all)
      return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    const first = list[0];
    if (!first) return callback(new RefusedAddressError(`${hostname} has no address`), '', 4);
    return callback(null, first.address, first.family);
  });
};

const guardedAgent = new Agent({ connect: { lookup: guardedLookup }, keepAliveTimeout: 5_000 });

type UrlVerdict = { ok: true; dispatcher?: Dispatcher } | { ok: false; reason: string };

/** Checks a media link before it is fetched; allowed origins skip the address checks. */
export async function checkMediaUrl(
  uri: string,
  allowedOrigins: readonly string[] = [],
): Promise<UrlVerdict> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `not fetched: ${url.protocol} links are never followed` };
  }
  if (url.username || url.password)
    return { ok: false, reason: 'not fetched: links with credentials are refused' };
  if (normalizeOrigins(allowedOrigins).includes(url.origin)) return { ok: true };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) {
    const why = forbiddenAddress(host);
    return why
      ? { ok: false, reason: `not fetched (SSRF guard): ${why}` }
      : { ok: true, dispatcher: guardedAgent };
  }
  let addresses: dns.LookupAddress[];
  try {
    addresses = await dns.promises.lookup(host, { all: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA')
      return { ok: false, reason: `not fetched: host ${host} does not resolve` };
    throw new MediaRetryableError(`media host lookup failed: ${code ?? (err as Error).message}`);
  }
  for (const a of addresses) {
    const why = forbiddenAddress(a.address);
    if (why) return { ok: false, reason: `not fetched (SSRF guard): ${host} resolves to ${why}` };
  }
  return { ok: true, dispatcher: guardedAgent };
}

function majorType(ct: string | undefined): string {
  return (ct ?? '').split(';')[0]?.trim().split('/')[0]?.toLowerCase() ?? '';
}

/** Media announced at or below this size is read into memory, hashed and written once. */
export const SMALL_MEDIA_BYTES = 4 * 1024 * 1024;

type Opened =
  | { ok: true; body: Dispatcher.ResponseData['body']; declaredLength: number; contentType: string }
  | { ok: false; status: number; reason?: string };

/** GET with the SSRF guard, time limits and no redirects; the body is left for the caller. */
async function open(uri: string, deps: MirrorDeps): Promise<Opened> {
  const verdict = await checkMediaUrl(uri, deps.allowedOrigins);
  if (!verdict.ok) return { ok: false, status: 0, reason: verdict.reason };
  let refused: string | null = null;
  const res = await request(uri, {
    method: 'GET',
    headersTimeout: deps.timeoutMs,
    bodyTimeout: deps.timeoutMs,
    maxRedirections: 0,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(verdict.dispatcher ? { dispatcher: verdict.dispatcher } : {}),
  } as Parameters<typeof request>[1]).catch((err: Error) => {
    if (deps.signal?.aborted) throw err;
    const cause = (err as Error & { cause?: unknown }).cause;
    const refusal = [err, cause].find((e) => e instanceof RefusedAddressError);
    if (refusal) {
      refused = (refusal as Error).message;
      return null;
    }
    throw new MediaRetryableError(`media download failed: ${err.message}`);
  });
  if (!res) return { ok: false, status: 0, reason: `not fetched (SSRF guard): ${refused}` };
  if (res.statusCode >= 300 && res.statusCode < 400) {
    await res.body.dump();
    return {
      ok: false,
      status: res.statusCode,
      reason: `media host answered a redirect (HTTP ${res.statusCode}); redirects are not followed`,
    };
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    return { ok: false, status: res.statusCode };
  }
  const declaredLength = Number(res.headers['content-length'] ?? NaN);
  if (declaredLength > deps.maxBytes) {
    await res.body.dump();
    return { ok: false, status: 413 };
  }
  const contentType =
    String(res.headers['content-type'] ?? 'application/octet-stream')
      .split(';')[0]
      ?.trim() ?? '';
  return { ok: true, body: res.body, declaredLength, contentType };
}

/**
 * Counts, caps and hashes the downloaded bytes, reporting progress for heartbeats. A failed or
 * oversized download *ends* the stream (and is recorded) rather than erroring it: a write stream
 * of the storage client whose source errors leaves its HTTP request to GCS open indefinitely,
 * whereas an ended upload completes and its partial object is deleted by the caller.
 */
function measured(body: AsyncIterable<Buffer>, deps: MirrorDeps) {
  const hash = createHash('sha256');
  const state: { size: number; failure: Error | null } = { size: 0, failure: null };
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of body) {
        state.size += chunk.length;
        if (state.size > deps.maxBytes) {
          state.failure = new TooLargeError();
          return;
        }
        hash.update(chunk);
        deps.onProgress?.();
        yield chunk;
      }
    } catch (err) {
      state.failure = err as Error;
    }
  }
  return {
    chunks: chunks(),
    /** The sha-256 once the body was read in full, or the reason it was not. */
    finish(declaredLength: number): { sha256: string; size: number } {
      if (state.failure) throw state.failure;
      checkLength(declaredLength, state.size);
      return { sha256: hash.digest('hex'), size: state.size };
    },
  };
}

function checkLength(declaredLength: number, size: number) {
  if (Number.isFinite(declaredLength) && declaredLength !== size) {
    throw new MediaRetryableError(`media body truncated: got ${size} of ${declaredLength} bytes`);
  }
}

type Stored = { sha256: string; size: number; storageKey: string };

/**
 * Small media: into memory (bounded by SMALL_MEDIA_BYTES), hashed, then written once under its
 * sha-256 — a duplicate is refused by the store's precondition, never written twice.
 */
async function storeSmall(
  tenantId: string,
  opened: Opened & { ok: true },
  meta: ObjectMeta,
  deps: MirrorDeps,
): Promise<Stored> {
  const m = measured(opened.body, deps);
  // One buffer of the announced size (at most SMALL_MEDIA_BYTES): no copies, no growth.
  const bytes = Buffer.allocUnsafe(opened.declaredLength);
  let filled = 0;
  for await (const chunk of m.chunks) {
    if (filled + chunk.length > bytes.length) {
      opened.body.destroy();
      throw new MediaRetryableError(`media body longer than its announced ${bytes.length} bytes`);
    }
    chunk.copy(bytes, filled);
    filled += chunk.length;
  }
  const { sha256, size } = m.finish(opened.declaredLength);
  const storageKey = `${tenantId}/media/${sha256}`;
  await deps.store.putIfAbsent(storageKey, bytes, withRecord(meta, sha256, size));
  return { sha256, size, storageKey };
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
  deps: MirrorDeps,
): Promise<Stored> {
  const m = measured(opened.body, deps);
  const partialKey = `${tenantId}/incoming/${randomUUID()}${PARTIAL_SUFFIX}`;
  try {
    await deps.store.put(partialKey, Readable.from(m.chunks, { objectMode: false }), {
      contentType: meta.contentType,
    });
    const { sha256, size } = m.finish(opened.declaredLength);
    const storageKey = `${tenantId}/media/${sha256}`;
    await deps.store.copyIfAbsent(partialKey, storageKey, withRecord(meta, sha256, size));
    return { sha256, size, storageKey };
  } finally {
    opened.body.destroy();
    await deps.store.delete(partialKey).catch(() => undefined);
  }
}

/** Suffix of media objects being written; a bucket lifecycle rule removes stale ones. */
export const PARTIAL_SUFFIX = '.partial';

/**
 * Deletes the partial uploads a killed worker left behind (`<tenant>/incoming/*.partial` older
 * than `maxAgeMs`; a younger one may be another worker's transfer in progress), so their bytes do
 * not outlive an erasure even where the bucket has no lifecycle rule. Returns how many went.
 */
export async function removeStalePartials(
  store: ObjectStore,
  tenantIds: readonly string[],
  maxAgeMs = 3600_000,
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  for (const tenantId of tenantIds) {
    for (const { key, createdAt } of await store.list(`${tenantId}/incoming/`)) {
      if (!key.endsWith(PARTIAL_SUFFIX) || now - createdAt.getTime() < maxAgeMs) continue;
      await store.delete(key);
      removed++;
    }
  }
  return removed;
}

type ObjectMeta = { contentType: string; originalUri: string };

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

export async function mirrorMedia(
  tenantId: string,
  media: { uri: string; declaredType?: string | null },
  deps: MirrorDeps,
): Promise<MirrorOutcome> {
  let uri = media.uri;
  // open() checks every link it fetches (the SSRF guard), the refreshed one included.
  let opened = await open(uri, deps);
  if (!opened.ok && (opened.status === 403 || opened.status === 401)) {
    const fresh = await deps.refresh(uri);
    if (!fresh)
      return {
        status: 'unavailable',
        reason: `link expired (HTTP ${opened.status}) and Blip could not refresh it`,
      };
    uri = fresh;
    opened = await open(uri, deps);
    if (!opened.ok && (opened.status === 403 || opened.status === 401) && !deps.giveUpOnRefusedRefresh) {
      throw new MediaRetryableError(`media host refused a freshly refreshed link (HTTP ${opened.status})`);
    }
  }
  if (!opened.ok) {
    if (opened.status === 0 || (opened.status >= 300 && opened.status < 400))
      return { status: 'unavailable', reason: opened.reason || `media host answered HTTP ${opened.status}` };
    if (opened.status === 413)
      return { status: 'unavailable', reason: `larger than the ${deps.maxBytes}-byte limit` };
    if (opened.status === 429 || opened.status >= 500)
      throw new MediaRetryableError(`media host answered ${opened.status}`);
    return { status: 'unavailable', reason: `media host answered HTTP ${opened.status}` };
  }
  const declared = majorType(media.declaredType ?? undefined);
  const served = majorType(opened.contentType);
  if (declared && served && declared !== served && served !== 'application') {
    await opened.body.dump();
    return {
      status: 'unavailable',
      reason: `type mismatch: declared ${media.declaredType}, served ${opened.contentType}`,
    };
  }
  const meta = { contentType: opened.contentType, originalUri: media.uri };
  try {
    const stored =
      opened.declaredLength <= SMALL_MEDIA_BYTES
        ? await storeSmall(tenantId, opened, meta, deps)
        : await storeLarge(tenantId, opened, meta, deps);
    return { status: 'stored', contentType: opened.contentType, ...stored };
  } catch (err) {
    if (err instanceof TooLargeError)
      return { status: 'unavailable', reason: `larger than the ${deps.maxBytes}-byte limit` };
    if (err instanceof MediaRetryableError || deps.signal?.aborted) throw err;
    const e = err as Error;
    throw new MediaRetryableError(`media transfer failed (${e.name}): ${e.message}`);
  }
}
