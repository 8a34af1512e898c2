import { type DeadlinePolicy, DownloadDeadline } from './deadline';
import { majorType, openMedia } from './download';
import { MediaLinkError, MediaRetryableError, TooLargeError } from './errors';
import type { MediaItemRef } from './keys';
import { type Stored, type StoreOptions, storeMedia } from './store-media';

/**
 * Mirrors one media link into the store (keys: lib/media/keys.ts): opened through the SSRF guard, refreshed
 * through Blip when it has expired, checked against its declared type, then stored by content
 * address (small) or streamed into the item's own final name (large). A link that can never be mirrored is an `unavailable` outcome with the reason; transient
 * trouble is thrown: a MediaLinkError when the link misbehaved (which spends the item's attempt
 * budget, see activities/media-mirror.ts), a plain MediaRetryableError when the store did.
 */

export type MirrorOutcome =
  | ({ status: 'stored'; contentType: string } & Stored)
  | { status: 'unavailable'; reason: string };

export interface MirrorDeps extends StoreOptions {
  /** Asks Blip for a fresh link when the old one has expired (403). */
  refresh: (uri: string) => Promise<string | null>;
  /** How long one download (open, refresh, body) may take in all. */
  deadlinePolicy: DeadlinePolicy;
}

export async function mirrorMedia(
  tenantId: string,
  media: { uri: string; declaredType?: string | null; item: MediaItemRef },
  deps: MirrorDeps,
): Promise<MirrorOutcome> {
  const deadline = new DownloadDeadline(deps.deadlinePolicy, deps.signal);
  try {
    return await mirrorOnce(tenantId, media, { ...deps, deadline });
  } finally {
    deadline.clear();
  }
}

async function mirrorOnce(
  tenantId: string,
  media: { uri: string; declaredType?: string | null; item: MediaItemRef },
  deps: MirrorDeps,
): Promise<MirrorOutcome> {
  let uri = media.uri;
  // openMedia() checks every link it fetches (the SSRF guard), the refreshed one included.
  let opened = await openMedia(uri, deps);
  if (!opened.ok && (opened.status === 403 || opened.status === 401)) {
    const fresh = await deps.refresh(uri);
    if (!fresh)
      return {
        status: 'unavailable',
        reason: `link expired (HTTP ${opened.status}) and Blip could not refresh it`,
      };
    uri = fresh;
    opened = await openMedia(uri, deps);
    // Most likely clock skew or a lagging CDN: retried, within the item's attempt budget.
    if (!opened.ok && (opened.status === 403 || opened.status === 401)) {
      throw new MediaLinkError(`media host refused a freshly refreshed link (HTTP ${opened.status})`);
    }
  }
  if (!opened.ok) {
    if (opened.status === 0 || (opened.status >= 300 && opened.status < 400))
      return { status: 'unavailable', reason: opened.reason || `media host answered HTTP ${opened.status}` };
    if (opened.status === 413)
      return { status: 'unavailable', reason: `larger than the ${deps.maxBytes}-byte limit` };
    if (opened.status === 429 || opened.status >= 500)
      throw new MediaLinkError(`media host answered HTTP ${opened.status}`);
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
    const stored = await storeMedia(tenantId, media.item, opened, meta, deps);
    return { status: 'stored', contentType: opened.contentType, ...stored };
  } catch (err) {
    if (err instanceof TooLargeError)
      return { status: 'unavailable', reason: `larger than the ${deps.maxBytes}-byte limit` };
    if (err instanceof MediaRetryableError || deps.signal?.aborted) throw err;
    const e = err as Error;
    throw new MediaRetryableError(`media transfer failed (${e.name}): ${e.message}`);
  }
}
