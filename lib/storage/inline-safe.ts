/**
 * Archived media are whatever a customer sent. Served inline from the bucket, an HTML, SVG, XML or
 * JavaScript file (or an unknown `application/*` a browser may sniff) would run script at the
 * storage origin the moment a reader opens its link. Only the types below are shown inline; every
 * other one is stored and linked as an opaque download (docs/security.md).
 */
const INLINE_SAFE = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'application/pdf',
  'text/plain',
]);

/** The type a browser is given for media that must not be rendered. */
export const DOWNLOAD_ONLY_TYPE = 'application/octet-stream';

/** True when `contentType` (parameters ignored) is safe for a browser to render inline. */
export function isInlineSafe(contentType: string | null | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (INLINE_SAFE.has(type)) return true;
  // Plain audio and video are played, never executed.
  return /^(audio|video)\/[a-z0-9.+-]+$/.test(type);
}

/** Object type and disposition to store media under: unsafe types become an attachment. */
export function storedTypeOf(contentType: string): { contentType: string; contentDisposition?: string } {
  return isInlineSafe(contentType)
    ? { contentType }
    : { contentType: DOWNLOAD_ONLY_TYPE, contentDisposition: 'attachment' };
}
