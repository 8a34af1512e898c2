/**
 * The media mirror's failures. Only a MediaRetryableError (or a subclass) is retried; a media item
 * that cannot be mirrored for good is not an error but an `unavailable` outcome with its reason.
 */

/** Transient trouble on our side (the object store, an aborted transfer): the activity retries it. */
export class MediaRetryableError extends Error {
  override name = 'MediaRetryableError';
}

/**
 * Transient trouble with the link itself (429/5xx, a DNS lookup that failed for now, a reset or
 * truncated body, a download past its deadline): retried too, but each one spends the item's
 * attempt and wall-time budget, so one hostile link cannot hold an archive back for ever.
 */
export class MediaLinkError extends MediaRetryableError {
  override name = 'MediaLinkError';
}

/** The body passed the size limit while it streamed; the item is recorded unavailable. */
export class TooLargeError extends Error {
  override name = 'TooLargeError';
}
