import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { MediaSource, SimMedia } from './fixtures';
import { seededRandom } from './rng';

/**
 * The bytes behind a media item, as a stream over any byte range: fixture files, in-memory
 * buffers, or generated content (deterministic from a seed) so tests can serve a large video
 * without a large file in git and without holding it in memory.
 */

const BLOCK = 64 * 1024;
const blockCache = new Map<number, Buffer>();

function baseBlock(seed: number): Buffer {
  let block = blockCache.get(seed);
  if (!block) {
    const random = seededRandom(seed);
    block = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) block[i] = Math.floor(random() * 256);
    blockCache.set(seed, block);
  }
  return block;
}

/** Byte i = base[i mod 64 KiB] xor (i / 64 KiB): cheap, seekable and not periodic within 16 MiB. */
function generatedChunk(seed: number, start: number, end: number): Buffer {
  const base = baseBlock(seed);
  const out = Buffer.allocUnsafe(end - start + 1);
  // Block by block, with a plain inner loop: per-byte Math calls were ~30x slower under jest's vm
  // context, enough to make a 200 MB video take half a minute to serve.
  let offset = start;
  while (offset <= end) {
    const within = offset % BLOCK;
    const mask = ((offset - within) / BLOCK) & 0xff;
    const n = Math.min(BLOCK - within, end - offset + 1);
    const at = offset - start;
    for (let j = 0; j < n; j++) out[at + j] = (base[within + j] as number) ^ mask;
    offset += n;
  }
  return out;
}

/** Stream of bytes start..end inclusive. */
export function mediaStream(source: MediaSource, start: number, end: number): Readable {
  if (end < start) return Readable.from([]);
  switch (source.kind) {
    case 'file':
      return fs.createReadStream(source.file, { start, end });
    case 'bytes':
      return Readable.from([source.bytes.subarray(start, end + 1)]);
    case 'generated': {
      let offset = start;
      return new Readable({
        read() {
          if (offset > end) {
            this.push(null);
            return;
          }
          const last = Math.min(end, offset + BLOCK - 1);
          const chunk = generatedChunk(source.seed, offset, last);
          offset = last + 1;
          // Hand the chunk over on the next turn of the event loop: a fast reader of a large video
          // must not keep the simulator (and a test sharing its process) from doing anything else.
          setImmediate(() => {
            if (!this.destroyed) this.push(chunk);
          });
        },
      });
    }
  }
}

const shaCache = new WeakMap<SimMedia, Promise<string>>();

/** sha-256 of the whole item (computed by streaming once, then remembered). */
export function mediaSha256(media: SimMedia): Promise<string> {
  if (media.sha256) return Promise.resolve(media.sha256);
  let pending = shaCache.get(media);
  if (!pending) {
    pending = new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      mediaStream(media.source, 0, media.size - 1)
        .on('data', (chunk: Buffer) => hash.update(chunk))
        .on('end', () => resolve(hash.digest('hex')))
        .on('error', reject);
    });
    shaCache.set(media, pending);
  }
  return pending;
}
