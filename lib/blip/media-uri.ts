/**
 * Facts about Blip media links that need no network. Secure links are Azure-SAS-like: the `se`
 * query parameter is the instant they stop working (docs/blip-api.md §7), so an archive can refresh a link
 * before trying it instead of paying for a 403 first.
 */

/** The expiry (`se`) of a signed media link, or null for unsigned/public links and non-URLs. */
export function mediaUriExpiry(uri: string): Date | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  const se = url.searchParams.get('se');
  if (!se) return null;
  const at = new Date(se);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * True when the link carries an expiry that is already past (or within `marginMs` of now, to
 * leave time for the download to start). Links without an expiry are never "expired" here.
 */
export function isSecureMediaExpired(uri: string, now: Date = new Date(), marginMs = 0): boolean {
  const expiry = mediaUriExpiry(uri);
  return expiry !== null && expiry.getTime() - marginMs <= now.getTime();
}
