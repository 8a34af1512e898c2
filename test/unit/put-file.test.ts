import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileDigest } from '../../lib/storage/put-file';

/** The export's stored hash and size come from a streamed pass over the file (lib/storage/put-file.ts). */
test('fileDigest streams a file to the same sha-256 and size as reading it whole', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-put-file-'));
  try {
    const file = path.join(dir, 'document.pdf');
    // Several read-stream chunks (64 KiB each) plus a ragged tail.
    const bytes = randomBytes(5 * 65_536 + 1234);
    fs.writeFileSync(file, bytes);
    expect(await fileDigest(file)).toEqual({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
