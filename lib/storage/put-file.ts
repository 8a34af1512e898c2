import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from './object-store';

/**
 * Storing a finished file without holding it in memory: one streamed pass hashes it (the
 * metadata names the hash, so it is known before the upload starts), a second streams it to the
 * store. Memory stays at the stream's chunk size, whatever the file's size.
 */

export async function fileDigest(filePath: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(fs.createReadStream(filePath), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { sha256: hash.digest('hex'), size };
}

export async function putFile(
  store: ObjectStore,
  key: string,
  filePath: string,
  meta: { contentType: string; metadata?: Record<string, string> },
): Promise<{ sha256: string; size: number }> {
  const digest = await fileDigest(filePath);
  await store.put(key, fs.createReadStream(filePath), {
    contentType: meta.contentType,
    metadata: { ...meta.metadata, sha256: digest.sha256 },
  });
  return digest;
}
