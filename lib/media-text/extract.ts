import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { imageSize, sniffImage } from './image-size';
import type { MediaTextLimits } from './limits';
import { cleanText, type ExtractOutcome, runFailure, unreadable } from './outcome';
import { type BoundedRun, type RunOptions, runBounded } from './run-bounded';

/**
 * Reads the text inside one stored media file (issue 18): images by OCR (Tesseract), PDFs by
 * their own text layer (pdftotext) page by page with OCR only for a page that has none, plain
 * text as it is. Every engine runs bounded (run-bounded.ts); every cap is checked before the
 * costly step (bytes before reading, pixels from the header before decoding, pages before
 * rendering). Never throws: the outcome says ok, unreadable, timeout or failed, and why.
 */
export interface ExtractorDeps {
  limits: MediaTextLimits;
  /** Injected for tests; the real one spawns. */
  run?: (command: string, args: string[], opts: RunOptions) => Promise<BoundedRun>;
}

export interface ExtractRequest {
  /** A local file holding the media bytes (the caller writes and removes it). */
  file: string;
  contentType: string;
  /** Tesseract languages, e.g. por+spa+eng (validated: limits.ts ocrLanguages). */
  languages: string;
  /** Where page images may be written (removed by the caller with the file). */
  workDir: string;
}

const HEADER_BYTES = 64 * 1024;
/** A page whose text layer has fewer letters than this is taken as scanned and read by OCR. */
const MIN_LAYER_LETTERS = 3;
/** Longest side, in pixels, a scanned page is rendered to for OCR (≈ 200 dpi on A4). */
const PAGE_RENDER_PX = 2339;
const PLAIN_TYPES = /^text\/(plain|csv|markdown|tab-separated-values)\b/i;

export function isExtractable(contentType: string): boolean {
  const t = contentType.toLowerCase();
  return t.startsWith('image/') || t.startsWith('application/pdf') || PLAIN_TYPES.test(t);
}

export function createExtractor(deps: ExtractorDeps) {
  const { limits } = deps;
  const run = deps.run ?? runBounded;

  async function extract(req: ExtractRequest): Promise<ExtractOutcome> {
    try {
      return await extractUnsafe(req);
    } catch (err) {
      return { status: 'failed', reason: `extractor: ${(err as Error).message}`.slice(0, 300), parts: [] };
    }
  }

  async function extractUnsafe(req: ExtractRequest): Promise<ExtractOutcome> {
    const deadline = Date.now() + limits.timeoutSeconds * 1000;
    const size = (await stat(req.file)).size;
    if (size > limits.maxBytes) return unreadable(`${size} bytes is over the cap of ${limits.maxBytes}`);
    const head = await readHead(req.file);
    const bounded = (command: string, args: string[], maxOutputBytes = limits.maxChars * 4) => {
      const timeoutMs = deadline - Date.now();
      if (timeoutMs <= 0)
        return Promise.resolve<BoundedRun>({
          code: null,
          signal: null,
          stdout: Buffer.alloc(0),
          stderr: '',
          timedOut: true,
          truncated: false,
          spawnError: null,
        });
      return run(command, args, { timeoutMs, memoryBytes: limits.memoryBytes, maxOutputBytes });
    };
    const ocr = async (image: Buffer, file: string, what: string): Promise<ExtractOutcome> => {
      const dims = imageSize(image);
      // Only a file with an image signature reaches Tesseract: given anything else it would take
      // the file for a list of image paths and open them.
      if (!dims)
        return unreadable(`${what}: not a readable image (no PNG, JPEG, GIF, WebP, BMP or TIFF header)`);
      const pixels = dims.width * dims.height;
      if (dims.width === 0 || dims.height === 0) return unreadable(`${what}: image has no pixels`);
      if (pixels > limits.maxPixels)
        return unreadable(
          `${what}: ${dims.width}×${dims.height} pixels is over the cap of ${limits.maxPixels} pixels`,
        );
      const r = await bounded('tesseract', [file, 'stdout', '-l', req.languages, '--psm', '1']);
      const failed = runFailure(r, 'tesseract', limits.memoryBytes);
      if (failed) return failed;
      return {
        status: 'ok',
        reason: null,
        parts: [{ page: null, source: 'ocr', text: r.stdout.toString('utf8') }],
      };
    };

    let outcome: ExtractOutcome;
    if (head.subarray(0, 5).toString('latin1') === '%PDF-') {
      outcome = await readPdf(req, bounded, ocr);
    } else if (sniffImage(head)) {
      outcome = await ocr(head, req.file, 'image');
    } else if (PLAIN_TYPES.test(req.contentType)) {
      const r = await readHead(req.file, limits.maxChars * 4);
      outcome = {
        status: 'ok',
        reason: null,
        parts: [{ page: null, source: 'plain', text: r.toString('utf8') }],
      };
    } else {
      outcome = unreadable(`not a readable image or document (declared ${req.contentType.slice(0, 80)})`);
    }
    return capText(outcome, limits.maxChars);
  }

  type Bounded = (command: string, args: string[], maxOutputBytes?: number) => Promise<BoundedRun>;
  type Ocr = (image: Buffer, file: string, what: string) => Promise<ExtractOutcome>;

  async function readPdf(req: ExtractRequest, bounded: Bounded, ocr: Ocr): Promise<ExtractOutcome> {
    const info = await bounded('pdfinfo', [req.file], 64 * 1024);
    const infoFailed = runFailure(info, 'pdfinfo', limits.memoryBytes);
    if (infoFailed) return infoFailed;
    const total = Number(/^Pages:\s+(\d+)/m.exec(info.stdout.toString('utf8'))?.[1] ?? Number.NaN);
    if (!Number.isFinite(total)) return unreadable('pdfinfo: no page count');
    const pages = Math.min(total, limits.maxPages);
    if (pages === 0) return { status: 'ok', reason: null, parts: [] };
    const layer = await bounded('pdftotext', [
      '-f',
      '1',
      '-l',
      String(pages),
      '-enc',
      'UTF-8',
      req.file,
      '-',
    ]);
    const layerFailed = runFailure(layer, 'pdftotext', limits.memoryBytes);
    if (layerFailed) return layerFailed;
    // pdftotext ends every page with a form feed.
    const texts = layer.stdout.toString('utf8').split('\f');
    const parts: ExtractOutcome['parts'] = [];
    for (let page = 1; page <= pages; page++) {
      const text = texts[page - 1] ?? '';
      if ((text.match(/\p{L}/gu)?.length ?? 0) >= MIN_LAYER_LETTERS) {
        parts.push({ page, source: 'text-layer', text });
        continue;
      }
      const prefix = path.join(req.workDir, `page-${page}`);
      const render = await bounded(
        'pdftoppm',
        [
          '-f',
          String(page),
          '-l',
          String(page),
          '-scale-to',
          String(PAGE_RENDER_PX),
          '-png',
          '-singlefile',
          req.file,
          prefix,
        ],
        1024,
      );
      const renderFailed = runFailure(render, `pdftoppm page ${page}`, limits.memoryBytes);
      if (renderFailed) return { ...renderFailed, parts };
      const png = `${prefix}.png`;
      const read = await ocr(await readHead(png), png, `page ${page}`);
      if (read.status !== 'ok') return { ...read, parts };
      for (const p of read.parts) parts.push({ ...p, page });
    }
    const reason = total > pages ? `only the first ${pages} of ${total} pages read` : null;
    return { status: 'ok', reason, parts };
  }

  return { extract };
}

async function readHead(file: string, bytes = HEADER_BYTES): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function capText(outcome: ExtractOutcome, maxChars: number): ExtractOutcome {
  let left = maxChars;
  const parts = [];
  for (const p of outcome.parts) {
    const text = cleanText(p.text).slice(0, Math.max(0, left));
    left -= text.length;
    if (text) parts.push({ ...p, text });
  }
  return { ...outcome, parts };
}

export type Extractor = ReturnType<typeof createExtractor>;
