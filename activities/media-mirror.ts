import { createHash, randomUUID } from 'node:crypto';
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, type Dispatcher, request } from 'undici';
import type { ObjectStore } from '../lib/storage/object-store';

/**
 * Mirrors one media link: download with time and size limits, hash while streaming to a temp
 * file (bounded memory), then upload to `<tenant>/media/<sha256>` unless that object already
 * exists — so a retry or a duplicate image costs one download and no second copy.
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

async function* withProgress(source: AsyncIterable<Buffer>, onProgress?: () => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onProgress?.();
    yield chunk;
  }
}

function majorType(ct: string | undefined): string {
  return (ct ?? '').split(';')[0]?.trim().split('/')[0]?.toLowerCase() ?? '';
}

type Download =
  | { ok: true; status: 200; sha256: string; size: number; contentType: string }
  | { ok: false; status: number; reason?: string };

async function download(uri: string, deps: MirrorDeps, file: string): Promise<Download> {
  const verdict = await checkMediaUrl(uri, deps.allowedOrigins);
  if (!verdict.ok) return { ok: false, status: 0, reason: verdict.reason };
  let refused: string | null = null;
  const res = await request(uri, {
    method: 'GET',
    headersTimeout: deps.timeoutMs,
    bodyTimeout: deps.timeoutMs,
    maxRedirections: 0,
    ...(verdict.dispatcher ? { dispatcher: verdict.dispatcher } : {}),
  } as Parameters<typeof request>[1]).catch((err: Error) => {
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
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > deps.maxBytes) return cb(new TooLargeError());
      hash.update(chunk);
      deps.onProgress?.();
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res.body, meter, fs.createWriteStream(file));
  } catch (err) {
    if (err instanceof TooLargeError) return { ok: false, status: 413 };
    throw new MediaRetryableError(`media download interrupted: ${(err as Error).message}`);
  }
  if (Number.isFinite(declaredLength) && declaredLength !== size) {
    throw new MediaRetryableError(`media body truncated: got ${size} of ${declaredLength} bytes`);
  }
  const contentType =
    String(res.headers['content-type'] ?? 'application/octet-stream')
      .split(';')[0]
      ?.trim() ?? '';
  return { ok: true, status: 200, sha256: hash.digest('hex'), size, contentType };
}

const TEMP_PREFIX = 'tv-media-';

/**
 * Removes partial downloads a killed worker left behind (SIGKILL skips the `finally` that deletes
 * them). Only files older than `maxAgeMs` go: a younger one may belong to another live worker
 * sharing the temp directory. Returns how many were removed.
 */
export function cleanStaleTempFiles(maxAgeMs = 3600_000, dir = os.tmpdir(), now = Date.now()): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const file = path.join(dir, name);
    try {
      const st = fs.lstatSync(file);
      if (!st.isFile() || now - st.mtimeMs < maxAgeMs) continue;
      fs.rmSync(file, { force: true });
      removed++;
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}

export async function mirrorMedia(
  tenantId: string,
  media: { uri: string; declaredType?: string | null },
  deps: MirrorDeps,
): Promise<MirrorOutcome> {
  let uri = media.uri;
  const first = await checkMediaUrl(uri, deps.allowedOrigins);
  if (!first.ok) return { status: 'unavailable', reason: first.reason };
  const file = path.join(os.tmpdir(), `${TEMP_PREFIX}${randomUUID()}`);
  try {
    let result = await download(uri, deps, file);
    if (result.status === 403 || result.status === 401) {
      const fresh = await deps.refresh(uri);
      if (!fresh)
        return {
          status: 'unavailable',
          reason: `link expired (HTTP ${result.status}) and Blip could not refresh it`,
        };
      uri = fresh;
      result = await download(uri, deps, file);
      if ((result.status === 403 || result.status === 401) && !deps.giveUpOnRefusedRefresh) {
        throw new MediaRetryableError(`media host refused a freshly refreshed link (HTTP ${result.status})`);
      }
    }
    if (result.status === 0 || (result.status >= 300 && result.status < 400))
      return {
        status: 'unavailable',
        reason: (!result.ok && result.reason) || `media host answered HTTP ${result.status}`,
      };
    if (result.status === 413)
      return { status: 'unavailable', reason: `larger than the ${deps.maxBytes}-byte limit` };
    if (result.status === 429 || result.status >= 500)
      throw new MediaRetryableError(`media host answered ${result.status}`);
    if (!result.ok) return { status: 'unavailable', reason: `media host answered HTTP ${result.status}` };
    const declared = majorType(media.declaredType ?? undefined);
    if (
      declared &&
      majorType(result.contentType) &&
      declared !== majorType(result.contentType) &&
      majorType(result.contentType) !== 'application'
    ) {
      return {
        status: 'unavailable',
        reason: `type mismatch: declared ${media.declaredType}, served ${result.contentType}`,
      };
    }
    const storageKey = `${tenantId}/media/${result.sha256}`;
    if (!(await deps.store.head(storageKey))) {
      // The upload reports progress too: a large file on a slow link must not look like a dead worker.
      await deps.store.put(
        storageKey,
        Readable.from(withProgress(fs.createReadStream(file), deps.onProgress), { objectMode: false }),
        {
          contentType: result.contentType,
          metadata: {
            sha256: result.sha256,
            size: String(result.size),
            originalUri: media.uri.slice(0, 1024),
          },
        },
      );
    }
    return {
      status: 'stored',
      sha256: result.sha256,
      size: result.size,
      contentType: result.contentType,
      storageKey,
    };
  } finally {
    fs.rmSync(file, { force: true });
  }
}
