import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanStaleTempFiles } from '../../activities/media-mirror';

/** Partial downloads a SIGKILLed worker left behind are removed at the next worker start. */
test('stale tv-media-* files (older than an hour) are removed; fresh ones and others stay', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-cleanup-'));
  try {
    const now = Date.now();
    const make = (name: string, ageMs: number) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, 'partial');
      const t = new Date(now - ageMs);
      fs.utimesSync(file, t, t);
    };
    make('tv-media-old', 2 * 3600_000);
    make('tv-media-fresh', 60_000);
    make('other-old', 2 * 3600_000);
    fs.mkdirSync(path.join(dir, 'tv-media-dir'));
    expect(cleanStaleTempFiles(3600_000, dir, now)).toBe(1);
    expect(fs.readdirSync(dir).sort()).toEqual(['other-old', 'tv-media-dir', 'tv-media-fresh']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
