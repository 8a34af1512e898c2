/**
 * Postgres cannot store U+0000 in `text` columns nor as `\u0000` inside `jsonb`, and `jsonb`
 * also rejects lone UTF-16 surrogates (`\ud800`) that JSON.stringify writes for broken strings.
 * Blip content carries both (docs/blip-api.md §6: text may hold control characters and U+0000). These
 * helpers make values storable by replacing such characters with U+FFFD — the same choice as
 * lib/blip's message normaliser — while the lossless original goes to `messages.raw` (bytea).
 */

const REPLACEMENT = '\uFFFD';
/** U+0000, or a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching U+0000 is the point of this module
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text for a `text` column: every U+0000 becomes U+FFFD; everything else is kept. */
export function stripNul(text: string): string {
  return text.replaceAll('\u0000', REPLACEMENT);
}

/** Like stripNul, for a string going into jsonb: also replaces lone surrogates. */
function storableString(text: string): string {
  return text.replace(UNSTORABLE, REPLACEMENT);
}

/**
 * A deep copy of a JSON-like value in which every string (object keys included) is storable in
 * jsonb. Values JSON cannot represent are left for JSON.stringify to handle as it always does.
 */
export function jsonForPostgres(value: unknown): unknown {
  if (typeof value === 'string') return storableString(value);
  if (Array.isArray(value)) return value.map(jsonForPostgres);
  if (value !== null && typeof value === 'object') {
    // Dates, Buffers and friends serialise through their own toJSON.
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storableString(k)] = jsonForPostgres(v);
    return out;
  }
  return value;
}

/**
 * A jsonb query parameter: JSON text (pass it with `$n::jsonb`), or SQL null for null/undefined.
 * Always send JSON as text — node-postgres turns a JS array parameter into a Postgres array
 * literal, not JSON.
 */
export function jsonParam(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return JSON.stringify(jsonForPostgres(value));
}
