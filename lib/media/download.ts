import { createHash } from 'node:crypto';
import { type Dispatcher, request } from 'undici';
import type { DownloadDeadline } from './deadline';
import { MediaLinkError, TooLargeError } from './errors';
import { checkMediaUrl, type HostLookup, RefusedAddressError } from './ssrf-guard';

/**
 * Downloads one media link: a GET through the SSRF guard with time and size limits and no
 * redirects, and a body that is counted, capped and hashed while it streams (bounded memory).
 */

export interface DownloadOptions {
  /**
   * Origins (`scheme://host[:port]`) trusted as Blip media hosts even when they resolve to a
   * private or loopback address (BLIP_MEDIA_ALLOWED_ORIGINS); every other host must be public.
   */
  allowedOrigins?: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  onProgress?: () => void;
  /** Aborts the transfer (the activity was cancelled or its heartbeat timed out). */
  signal?: AbortSignal;
  /** The overall deadline of this download (its signal includes `signal`). */
  deadline?: DownloadDeadline;
  /** DNS resolution for the SSRF guard's check (tests inject failures); default dns.lookup. */
  lookup?: HostLookup;
}

export type Opened =
  | { ok: true; body: Dispatcher.ResponseData['body']; declaredLength: number; contentType: string }
  | { ok: false; status: number; reason?: string };

/** GET with the SSRF guard, time limits and no redirects; the body is left for the caller. */
export async function openMedia(uri: string, options: DownloadOptions): Promise<Opened> {
  const verdict = await checkMediaUrl(uri, options.allowedOrigins, options.lookup);
  if (!verdict.ok) return { ok: false, status: 0, reason: verdict.reason };
  let refused: string | null = null;
  const res = await request(uri, {
    method: 'GET',
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    maxRedirections: 0,
    ...(options.deadline || options.signal ? { signal: options.deadline?.signal ?? options.signal } : {}),
    ...(verdict.dispatcher ? { dispatcher: verdict.dispatcher } : {}),
  } as Parameters<typeof request>[1]).catch((err: Error) => {
    if (options.signal?.aborted) throw err;
    if (options.deadline?.passed) throw options.deadline.error();
    const cause = (err as Error & { cause?: unknown }).cause;
    const refusal = [err, cause].find((e) => e instanceof RefusedAddressError);
    if (refusal) {
      refused = (refusal as Error).message;
      return null;
    }
    throw new MediaLinkError(`media download failed: ${err.message}`);
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
  options.deadline?.announce(declaredLength);
  if (declaredLength > options.maxBytes) {
    await res.body.dump();
    return { ok: false, status: 413 };
  }
  const contentType =
    String(res.headers['content-type'] ?? 'application/octet-stream')
      .split(';')[0]
      ?.trim() ?? '';
  return { ok: true, body: res.body, declaredLength, contentType };
}

/** The major type (`image` of `image/png`), lower-case; empty when there is none. */
export function majorType(ct: string | undefined): string {
  return (ct ?? '').split(';')[0]?.trim().split('/')[0]?.toLowerCase() ?? '';
}

/**
 * Counts, caps and hashes the downloaded bytes, reporting progress for heartbeats. A failed or
 * oversized download *ends* the stream (and is recorded) rather than erroring it: a write stream
 * of the storage client whose source errors leaves its HTTP request to GCS open indefinitely,
 * whereas an ended upload completes and its partial object is deleted by the caller.
 */
export function measured(body: AsyncIterable<Buffer>, options: DownloadOptions) {
  const hash = createHash('sha256');
  const state: { size: number; failure: Error | null } = { size: 0, failure: null };
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of body) {
        state.size += chunk.length;
        if (state.size > options.maxBytes) {
          state.failure = new TooLargeError();
          return;
        }
        hash.update(chunk);
        options.deadline?.add(chunk.length);
        options.onProgress?.();
        yield chunk;
      }
    } catch (err) {
      // A cancelled activity keeps its own error; anything else went wrong with the link.
      if (options.signal?.aborted) state.failure = err as Error;
      else if (options.deadline?.passed) state.failure = options.deadline.error();
      else state.failure = new MediaLinkError(`media body failed: ${(err as Error).message}`);
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
    throw new MediaLinkError(`media body truncated: got ${size} of ${declaredLength} bytes`);
  }
}
