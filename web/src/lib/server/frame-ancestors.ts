/** Who may frame the UI when UI_FRAME_ANCESTORS is unset: ourselves and the Blip portal. */
export const DEFAULT_FRAME_ANCESTORS = "'self' https://*.blip.ai";

/**
 * Only CSP source expressions (hosts, schemes, 'self', wildcards, spaces): a value carrying `;` or
 * a quote-breaking character could append directives of its own to the header, so it is refused.
 */
const CSP_SOURCES = /^[A-Za-z0-9'*:/. _-]+$/;

/** The frame-ancestors sources to send: the configured ones if they are plain sources, else the default. */
export function frameAncestors(configured: string | undefined): string {
  const value = configured?.trim();
  return value && CSP_SOURCES.test(value) ? value : DEFAULT_FRAME_ANCESTORS;
}
