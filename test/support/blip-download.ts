import { createHash } from 'node:crypto';
import { request } from 'undici';

/**
 * A plain media GET for tests (the archive's streaming mirror lives in activities/): status,
 * headers, bytes and their sha-256, or the error when the body is cut short.
 */
export interface Download {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
  sha256: string;
}

export async function download(uri: string, headers: Record<string, string> = {}): Promise<Download> {
  const res = await request(uri, { method: 'GET', headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return {
    status: res.statusCode,
    headers: res.headers,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}
