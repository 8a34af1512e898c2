import { runBounded } from './run-bounded';

/**
 * The engine a reading is recorded under (media_text.engine, engine_version): the installed
 * Tesseract and poppler versions and this extractor's own revision, so a newer engine (or a change
 * in how we call it: bump EXTRACTOR_REVISION) reads the media again beside the old rows.
 */
export const ENGINE = 'tesseract+poppler';
const EXTRACTOR_REVISION = 'r1';

export interface EngineInfo {
  engine: string;
  version: string;
}

let cached: Promise<EngineInfo> | null = null;

export function engineInfo(): Promise<EngineInfo> {
  cached ??= detect().catch((err) => {
    cached = null;
    throw err;
  });
  return cached;
}

async function detect(): Promise<EngineInfo> {
  const opts = { timeoutMs: 10_000, memoryBytes: 512 * 1024 ** 2, maxOutputBytes: 4096 };
  const [t, p] = await Promise.all([
    runBounded('tesseract', ['--version'], opts),
    runBounded('pdftotext', ['-v'], opts),
  ]);
  const tesseract = /tesseract\s+v?([\d.]+)/i.exec(t.stdout.toString() + t.stderr)?.[1];
  const poppler = /pdftotext version ([\d.]+)/i.exec(p.stdout.toString() + p.stderr)?.[1];
  if (!tesseract)
    throw new Error(
      'tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-por tesseract-ocr-spa)',
    );
  if (!poppler) throw new Error('pdftotext is not installed (apt-get install poppler-utils)');
  return { engine: ENGINE, version: `tesseract-${tesseract}+poppler-${poppler}+${EXTRACTOR_REVISION}` };
}
