import canonicalizeJson from 'canonicalize';

/**
 * RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code units, no whitespace,
 * ECMAScript number and string serialisation. Two parties holding the same JSON value produce the
 * same bytes, so a hash over them can be recomputed by anyone (docs/evidence.md).
 */
export function jcs(value: unknown): string {
  const text = canonicalizeJson(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

export function jcsBytes(value: unknown): Buffer {
  return Buffer.from(jcs(value), 'utf8');
}

/**
 * The value as a JSON round trip leaves it (undefined dropped, dates as strings, non-finite numbers
 * as null): what Postgres jsonb and any exported copy hold, so comparisons do not trip on forms
 * JSON cannot carry.
 */
export function asJson<T>(value: T): T {
  return value === undefined ? (null as T) : (JSON.parse(JSON.stringify(value)) as T);
}
