/** Blip HTTP command API: client, typed errors, key parsing and pure normalisation (docs/blip-api.md). */
export * from './channels';
export * from './client';
export { ContentType, emojiFromCodePoints, isHttpUri, readContent, unsupported } from './content';
export * from './domain';
export * from './errors';
export * from './key';
export * from './lime';
export * from './media-uri';
export * from './normalize-message';
export * from './normalize-resources';
export { type OffsetPage, pageByOffset } from './paging';
export { DEFAULT_RETRY_POLICY, type RetryAttemptInfo, type RetryPolicy } from './retry';
export { parseRetryAfter } from './transport';
export * from './uris';
