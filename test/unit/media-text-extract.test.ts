import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createExtractor } from '../../lib/media-text/extract';
import { failureReason } from '../../lib/media-text/failure-reason';
import { imageSize } from '../../lib/media-text/image-size';
import { DEFAULT_MEDIA_TEXT_LIMITS, type MediaTextLimits } from '../../lib/media-text/limits';
import { type BoundedRun, runBounded } from '../../lib/media-text/run-bounded';
import { corruptJpeg, pngBomb } from '../support/ocr-samples';

/**
 * The extractor's limits (issue 18): every cap is enforced before the costly step, a hostile file
 * is an `unreadable` outcome with its reason, and an engine that runs out of time or memory is a
 * `timeout` or `failed` outcome, never an exception.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tv-extract-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, bytes: Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

const ran = (over: Partial<BoundedRun>): BoundedRun => ({
  code: 0,
  signal: null,
  stdout: Buffer.alloc(0),
  stderr: '',
  timedOut: false,
  truncated: false,
  spawnError: null,
  ...over,
});

function extractorWith(result: Partial<BoundedRun> | null, limits: Partial<MediaTextLimits> = {}) {
  const calls: string[] = [];
  const extractor = createExtractor({
    limits: { ...DEFAULT_MEDIA_TEXT_LIMITS, ...limits },
    run: async (command) => {
      calls.push(command);
      if (!result) throw new Error('no engine may run for this file');
      return ran(result);
    },
  });
  const read = (p: string, contentType: string) =>
    extractor.extract({ file: p, contentType, languages: 'por+spa', workDir: dir });
  return { read, calls };
}

// A 1×1 PNG header (IHDR only): enough for the size check, which is all these tests reach.
const tinyPng = pngBomb(4, 4);

test('a 30 000 × 30 000 PNG bomb is refused from its header: no decoder runs', async () => {
  const bomb = pngBomb(30_000, 30_000);
  expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
  expect(imageSize(bomb)).toEqual({ format: 'png', width: 30_000, height: 30_000 });
  const { read, calls } = extractorWith(null);
  const out = await read(file('bomb.png', bomb), 'image/png');
  expect(out).toMatchObject({ status: 'unreadable', parts: [] });
  expect(out.reason).toContain('30000×30000 pixels is over the cap of 50000000 pixels');
  expect(failureReason(out)).toBe('pixels');
  expect(calls).toEqual([]);
});

test('a corrupt image, and a non-image sent as one, never reach Tesseract', async () => {
  const { read, calls } = extractorWith(null);
  const corrupt = await read(file('corrupt.jpg', corruptJpeg()), 'image/jpeg');
  expect(corrupt.status).toBe('unreadable');
  // Tesseract takes a file that is not an image for a list of image paths to open.
  const list = await read(file('list.png', Buffer.from('/etc/passwd\n')), 'image/png');
  expect(list).toMatchObject({ status: 'unreadable' });
  expect(list.reason).toContain('not a readable image or document');
  expect(calls).toEqual([]);
});

test('a file over the byte cap is not read', async () => {
  const { read, calls } = extractorWith(null, { maxBytes: 1024 });
  const out = await read(file('big.txt', Buffer.alloc(4096, 0x41)), 'text/plain');
  expect(out.status).toBe('unreadable');
  expect(failureReason(out)).toBe('bytes');
  expect(calls).toEqual([]);
});

test('engine outcomes: out of time, out of memory, refused, missing, ok', async () => {
  const png = file('tiny.png', tinyPng);
  expect(
    await extractorWith({ timedOut: true, code: null, signal: 'SIGKILL' }).read(png, 'image/png'),
  ).toMatchObject({
    status: 'timeout',
  });
  const oom = await extractorWith({ code: 1, stderr: 'std::bad_alloc' }).read(png, 'image/png');
  expect(oom.status).toBe('failed');
  expect(oom.reason).toContain('ran out of memory');
  const refused = await extractorWith({
    code: 1,
    stderr: 'Error in pixReadStream: png: no pix returned',
  }).read(png, 'image/png');
  expect(refused).toMatchObject({ status: 'unreadable' });
  expect(refused.reason).toContain('pixReadStream');
  expect(
    (await extractorWith({ code: 127, spawnError: 'tesseract not found' }).read(png, 'image/png'))
      .engineMissing,
  ).toBe(true);
  const ok = await extractorWith({ stdout: Buffer.from('  Total\u0000  R$ 48,00 \n\n\n\nfim ') }).read(
    png,
    'image/png',
  );
  expect(ok).toEqual({
    status: 'ok',
    reason: null,
    parts: [{ page: null, source: 'ocr', text: 'Total R$ 48,00\n\nfim' }],
  });
});

test('plain text is read as it is, without an engine', async () => {
  const { read, calls } = extractorWith(null);
  const out = await read(
    file('nota.txt', Buffer.from('Pedido 4242: reembolso de R$ 48,00\n')),
    'text/plain; charset=utf-8',
  );
  expect(out.parts).toEqual([{ page: null, source: 'plain', text: 'Pedido 4242: reembolso de R$ 48,00' }]);
  expect(calls).toEqual([]);
});

test('a PDF: the text layer page by page, capped at maxPages, saying what was left out', async () => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const word of ['primeira', 'segunda', 'terceira'])
    doc.addPage([300, 300]).drawText(`pagina ${word} contrato`, { x: 20, y: 200, size: 14, font });
  const pdf = file('three.pdf', Buffer.from(await doc.save()));
  const extractor = createExtractor({ limits: { ...DEFAULT_MEDIA_TEXT_LIMITS, maxPages: 2 } });
  const out = await extractor.extract({
    file: pdf,
    contentType: 'application/pdf',
    languages: 'por',
    workDir: dir,
  });
  expect(out.status).toBe('ok');
  expect(out.reason).toBe('only the first 2 of 3 pages read');
  expect(out.parts).toEqual([
    { page: 1, source: 'text-layer', text: 'pagina primeira contrato' },
    { page: 2, source: 'text-layer', text: 'pagina segunda contrato' },
  ]);
  const broken = await extractor.extract({
    file: file('broken.pdf', Buffer.from('%PDF-1.4 not really')),
    contentType: 'application/pdf',
    languages: 'por',
    workDir: dir,
  });
  expect(broken.status).toBe('unreadable');
});

test('runBounded kills a process past its time and caps its memory', async () => {
  const slow = await runBounded('sleep', ['10'], {
    timeoutMs: 300,
    memoryBytes: 256 * 1024 ** 2,
    maxOutputBytes: 10,
  });
  expect(slow.timedOut).toBe(true);
  const hungry = await runBounded('python3', ['-c', 'x = bytearray(800 * 1024 * 1024)'], {
    timeoutMs: 20_000,
    memoryBytes: 200 * 1024 ** 2,
    maxOutputBytes: 10,
  });
  expect(hungry.code).not.toBe(0);
  expect(hungry.stderr).toContain('MemoryError');
  const chatty = await runBounded('sh', ['-c', 'yes | head -c 100000'], {
    timeoutMs: 5_000,
    memoryBytes: 256 * 1024 ** 2,
    maxOutputBytes: 1000,
  });
  expect(chatty.stdout.length).toBe(1000);
  expect(chatty.truncated).toBe(true);
});
