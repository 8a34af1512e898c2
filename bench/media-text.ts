import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../lib/config';
import { createExtractor } from '../lib/media-text/extract';
import { DEFAULT_MEDIA_TEXT_LIMITS } from '../lib/media-text/limits';
import { makeSamples } from '../test/support/ocr-samples';
import type { BenchContext, BenchResult, Cell } from './lib/report';
import { round } from './lib/stats';

/**
 * 6. Text inside media (issue 18): the extractor on the generated images and PDFs (the test media),
 * one file at a time as a worker with MEDIA_TEXT_CONCURRENCY=1 runs it (one core): files per second
 * per core and seconds per file, by kind. The archive is unaffected by design (its own task queue,
 * one single-threaded engine process per slot); the CPU it takes from archiving is at most
 * MEDIA_TEXT_CONCURRENCY cores while files wait.
 */
export async function mediaTextBench(ctx: BenchContext): Promise<BenchResult> {
  const rounds = ctx.scale === 'full' ? 10 : 3;
  const samples = await makeSamples(loadConfig().CHROMIUM_PATH);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tv-bench-media-text-'));
  const extractor = createExtractor({ limits: DEFAULT_MEDIA_TEXT_LIMITS });
  const rows: Cell[][] = [];
  const data: Record<string, unknown> = {};
  try {
    const groups: Record<string, string[]> = {
      'images (OCR)': ['receipt', 'prescription', 'rotated', 'noisy'],
      'PDF, text layer': ['pdfLayer'],
      'PDF, scanned (OCR)': ['pdfScanned'],
      'bomb + corrupt (refused)': ['bomb', 'corrupt'],
    };
    for (const [group, names] of Object.entries(groups)) {
      let files = 0;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < rounds; r++) {
        for (const n of names) {
          const s = samples[n];
          if (!s) continue;
          const file = path.join(dir, s.name);
          writeFileSync(file, s.bytes);
          await extractor.extract({
            file,
            contentType: s.contentType,
            languages: 'por+spa+eng',
            workDir: dir,
          });
          files++;
        }
      }
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      ctx.log(`media-text: ${group}: ${files} files in ${round(wall, 2)} s`);
      rows.push([
        group,
        files,
        round(files / wall, 2),
        round(wall / files, 2),
        round((cpu.user + cpu.system) / 1e6, 2),
      ]);
      data[group] = { files, wall };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name: 'media-text',
    tables: [
      {
        title: 'Text inside media: one file at a time (one core, as MEDIA_TEXT_CONCURRENCY=1)',
        columns: [
          'files',
          'n',
          'files/s per core',
          's per file',
          'bench process CPU s (engines run as children)',
        ],
        rows,
      },
    ],
    notes: [
      'engines (tesseract, pdftotext, pdftoppm) run single-threaded (OMP_THREAD_LIMIT=1) in child processes',
    ],
    data,
  };
}
