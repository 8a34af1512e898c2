/**
 * Splits a command `uri` into decoded path segments and query parameters. Each segment is decoded
 * on its own, so `%40` and a raw `@` in an identity are the same (docs/blip-api.md §1), while an encoded
 * `/` inside an id stays inside its segment. Query values are decoded without turning `+` into a
 * space: OData dates may carry a literal `+hh:mm` offset.
 */
export interface ParsedUri {
  segments: string[];
  query: Map<string, string>;
}

export class MalformedUriError extends Error {}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new MalformedUriError(`malformed percent-encoding in ${text}`);
  }
}

export function parseLimeUri(uri: string): ParsedUri {
  const q = uri.indexOf('?');
  const pathPart = q < 0 ? uri : uri.slice(0, q);
  const queryPart = q < 0 ? '' : uri.slice(q + 1);
  const segments = pathPart
    .split('/')
    .filter((s) => s !== '')
    .map(decode);
  const query = new Map<string, string>();
  for (const pair of queryPart.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    if (!query.has(key)) query.set(key, value);
  }
  return { segments, query };
}
