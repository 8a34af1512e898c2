import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
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
  | { ok: false; status: number };

async function download(uri: string, deps: MirrorDeps, file: string): Promise<Download> {
  const res = await request(uri, {
    method: 'GET',
    headersTimeout: deps.timeoutMs,
    bodyTimeout: deps.timeoutMs,
    maxRedirections: 0,
  } as Parameters<typeof request>[1]).catch((err: Error) => {
    throw new MediaRetryableError(`media download failed: ${err.message}`);
  });
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

export async function mirrorMedia(
  tenantId: string,
  media: { uri: string; declaredType?: string | null },
  deps: MirrorDeps,
): Promise<MirrorOutcome> {
  let uri = media.uri;
  let protocol: string;
  try {
    protocol = new URL(uri).protocol;
  } catch {
    return { status: 'unavailable', reason: 'not a valid URL' };
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    return { status: 'unavailable', reason: `not fetched: ${protocol} links are never followed` };
  }
  const file = path.join(os.tmpdir(), `tv-media-${randomUUID()}`);
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
