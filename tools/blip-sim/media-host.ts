import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { FixtureSet, SimMedia } from './fixtures';
import { mediaStream } from './media-bytes';
import { verifySignature } from './media-signing';
import type { SimStore } from './store';

/**
 * The simulated media host (docs/blip-api.md §7, §11): unknown path 404; secure path with a forged or
 * expired signature 403 with the Azure-style XML body of errors/media-expired.http.json;
 * otherwise the bytes with Content-Type and Content-Length, and single byte ranges.
 */

export interface MediaAnswer {
  status: number;
  /** Set when the body was deliberately cut short. */
  truncated?: boolean;
}

const NOT_FOUND_XML =
  '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.</Message></Error>';
const DEFAULT_FORBIDDEN = {
  headers: { 'Content-Type': 'application/xml' },
  body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message></Error>',
};

function forbiddenAnswer(fixtures: FixtureSet): { headers: Record<string, string>; body: string } {
  const described = fixtures.errors['media-expired.http.json'];
  if (!described || typeof described.body !== 'string') return DEFAULT_FORBIDDEN;
  const headers: Record<string, string> = {};
  if (described.headers && typeof described.headers === 'object') {
    for (const [k, v] of Object.entries(described.headers)) if (typeof v === 'string') headers[k] = v;
  }
  return { headers, body: described.body };
}

/**
 * Sends the status line and headers, and reports the status at once: a client can read the whole body
 * before the server's own pipeline settles, so the request log must not wait for that.
 */
function writeHead(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  onStatus?: (status: number) => void,
): void {
  res.writeHead(status, headers);
  onStatus?.(status);
}

function sendText(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
  head: boolean,
  onStatus?: (status: number) => void,
) {
  const bytes = Buffer.from(body, 'utf8');
  writeHead(res, status, { ...headers, 'Content-Length': String(bytes.length) }, onStatus);
  res.end(head ? undefined : bytes);
}

type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else serves the whole body. */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

async function* counted(source: AsyncIterable<Buffer>, onBytes?: (count: number) => void) {
  for await (const chunk of source) {
    onBytes?.(chunk.length);
    yield chunk;
  }
}

/** The whole body with its full length announced, `bytesPerSecond` bytes a second, until done or cut. */
async function trickle(
  res: ServerResponse,
  item: SimMedia,
  bytesPerSecond: number,
  deps: { onBytes?: (count: number) => void; onStatus?: (status: number) => void; closing?: AbortSignal },
): Promise<void> {
  writeHead(
    res,
    200,
    { 'Content-Type': item.contentType, 'Content-Length': String(item.size) },
    deps.onStatus,
  );
  const gone = () => res.destroyed || res.socket?.destroyed === true || deps.closing?.aborted === true;
  for (let offset = 0; offset < item.size && !gone(); offset += bytesPerSecond) {
    const end = Math.min(offset + bytesPerSecond, item.size) - 1;
    for await (const chunk of mediaStream(item.source, offset, end)) res.write(chunk);
    deps.onBytes?.(end - offset + 1);
    await delay(1000, undefined, { signal: deps.closing }).catch(() => undefined);
  }
  if (gone()) res.destroy();
  else res.end();
}

export async function serveMedia(
  req: IncomingMessage,
  res: ServerResponse,
  deps: {
    store: SimStore;
    fixtures: FixtureSet;
    now: () => Date;
    truncate: boolean;
    onBytes?: (count: number) => void;
    /** Called as the status line goes out, before any body. */
    onStatus?: (status: number) => void;
    /** Aborted when the simulator closes: ends a trickling body. */
    closing?: AbortSignal;
  },
): Promise<MediaAnswer> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const head = req.method === 'HEAD';
  const item: SimMedia | undefined = deps.store.mediaAt(url.pathname);
  if (!item) {
    sendText(res, 404, { 'Content-Type': 'application/xml' }, NOT_FOUND_XML, head, deps.onStatus);
    return { status: 404 };
  }
  if (item.requiresSignature) {
    // The signature covers the canonical (manifest) path, whatever encoding the client used.
    const verdict = verifySignature(deps.fixtures.signingKey, item.path, url.searchParams, deps.now());
    if (verdict !== 'valid') {
      const forbidden = forbiddenAnswer(deps.fixtures);
      sendText(res, 403, forbidden.headers, forbidden.body, head, deps.onStatus);
      return { status: 403 };
    }
  }
  if (item.hostile?.kind === 'status') {
    sendText(res, item.hostile.status, { 'Content-Type': 'text/plain' }, '', head, deps.onStatus);
    return { status: item.hostile.status };
  }
  if (item.hostile?.kind === 'trickle' && !head) {
    await trickle(res, item, item.hostile.bytesPerSecond ?? 1, deps);
    return { status: 200 };
  }
  const range = parseRange(req.headers.range, item.size);
  if (range === 'unsatisfiable') {
    writeHead(res, 416, { 'Content-Range': `bytes */${item.size}`, 'Content-Length': '0' }, deps.onStatus);
    res.end();
    return { status: 416 };
  }
  const start = range ? range.start : 0;
  const end = range ? range.end : item.size - 1;
  const length = end - start + 1;
  const status = range ? 206 : 200;
  writeHead(
    res,
    status,
    {
      'Content-Type': item.contentType,
      'Content-Length': String(length),
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${item.size}` } : {}),
    },
    deps.onStatus,
  );
  if (head || length === 0) {
    res.end();
    return { status };
  }
  if (deps.truncate) {
    // Announce the full length, send half, then cut the connection: a body cut short in transit.
    const sent = Math.floor(length / 2);
    if (sent > 0) {
      await pipeline(counted(mediaStream(item.source, start, start + sent - 1), deps.onBytes), res, {
        end: false,
      }).catch(() => undefined);
    }
    res.destroy();
    return { status, truncated: true };
  }
  await pipeline(counted(mediaStream(item.source, start, end), deps.onBytes), res).catch(() => undefined);
  return { status };
}
