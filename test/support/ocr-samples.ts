import { randomBytes } from 'node:crypto';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';
import type { Browser } from 'puppeteer-core';
import { launchChromium } from '../../lib/pdf/chromium';

/**
 * Media for the text-extraction tests, made at test time (no binaries in git): images with known
 * Portuguese and Spanish text in a few fonts and sizes (Chromium screenshots), a rotated one, a
 * noisy photo-like one; a PDF with a text layer (Chromium's print) and a scanned one (an image in a
 * PDF, no text layer); a corrupt file; a 30 000 × 30 000 PNG decompression bomb of a few KiB.
 */
export interface Sample {
  name: string;
  contentType: string;
  bytes: Buffer;
  /** The words rendered (for accuracy: words found ÷ words rendered). */
  words: string[];
}

export const SAMPLE_TEXT = {
  receiptPt: 'Recibo de pagamento: valor total R$ 48,00 pago em dinheiro na farmácia São João',
  prescriptionEs: 'Receta médica: tomar ibuprofeno cada ocho horas durante cinco días',
  rotatedPt: 'Nota fiscal número 3915 emitida para cliente Guimarães',
  noisyEs: 'Factura pendiente del almacén Zaragoza total 1250 pesos',
  pdfLayerPt: 'Contrato de locação assinado pelo inquilino Bernardes em Curitiba',
  pdfScannedEs: 'Certificado escaneado del hospital Valparaíso firmado por doctora Ibáñez',
} as const;

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function page(text: string, style: string, extra = ''): string {
  return `<!doctype html><meta charset="utf-8"><body style="margin:0;background:#fff">
  <div id="card" style="display:inline-block;padding:40px;background:#fff;color:#111;${style}">${escapeHtml(text)}</div>${extra}</body>`;
}

async function shot(browser: Browser, html: string, width = 1100): Promise<Buffer> {
  const tab = await browser.newPage();
  try {
    await tab.setJavaScriptEnabled(false);
    await tab.setViewport({ width, height: 600 });
    await tab.setContent(html, { waitUntil: 'load' });
    const card = await tab.$('#card');
    if (!card) throw new Error('no card');
    return Buffer.from(await card.screenshot({ type: 'png' }));
  } finally {
    await tab.close();
  }
}

/** Grey speckles over the text, like a phone photo of paper: seeded, so runs compare. */
function noise(seed: number): string {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
  const dots: string[] = [];
  for (let i = 0; i < 900; i++)
    dots.push(
      `<i style="position:absolute;left:${(rnd() * 1000).toFixed(0)}px;top:${(rnd() * 160).toFixed(0)}px;width:2px;height:2px;background:#${rnd() > 0.5 ? '777' : 'aaa'}"></i>`,
    );
  return dots.join('');
}

const wordsOf = (s: string) => s.split(/\s+/).filter(Boolean);

export async function makeSamples(chromiumPath: string): Promise<Record<string, Sample>> {
  const browser = await launchChromium(chromiumPath);
  try {
    const receipt = await shot(
      browser,
      page(SAMPLE_TEXT.receiptPt, 'font:28px "Liberation Serif",serif;width:900px'),
    );
    const prescription = await shot(
      browser,
      page(SAMPLE_TEXT.prescriptionEs, 'font:bold 22px "Liberation Mono",monospace;width:950px'),
    );
    const rotated = await shot(
      browser,
      `<!doctype html><meta charset="utf-8"><body style="margin:0;background:#fff"><div id="card" style="display:inline-block;padding:30px;background:#fff">
       <div style="transform:rotate(90deg);transform-origin:top left;position:relative;left:120px;width:820px;font:30px 'Noto Sans',sans-serif">${escapeHtml(SAMPLE_TEXT.rotatedPt)}</div>
       <div style="height:840px;width:140px"></div></div></body>`,
    );
    const noisy = await shot(
      browser,
      `<!doctype html><meta charset="utf-8"><body style="margin:0"><div id="card" style="position:relative;display:inline-block;padding:50px;width:950px;background:linear-gradient(100deg,#f4efe6,#d9d2c3);color:#222;font:26px 'Liberation Sans',sans-serif;filter:blur(0.6px)">${escapeHtml(SAMPLE_TEXT.noisyEs)}${noise(7)}</div></body>`,
    );
    const layerTab = await browser.newPage();
    let pdfLayer: Buffer;
    try {
      await layerTab.setJavaScriptEnabled(false);
      await layerTab.setContent(
        `<!doctype html><meta charset="utf-8"><p style="font:16px serif">${escapeHtml(SAMPLE_TEXT.pdfLayerPt)}</p>`,
      );
      pdfLayer = Buffer.from(await layerTab.pdf({ format: 'A4' }));
    } finally {
      await layerTab.close();
    }
    const scanImage = await shot(
      browser,
      page(SAMPLE_TEXT.pdfScannedEs, 'font:30px "Liberation Serif",serif;width:1000px'),
      1200,
    );
    const scanned = await PDFDocument.create();
    const png = await scanned.embedPng(scanImage);
    const a4 = scanned.addPage([595, 842]);
    const w = 520;
    a4.drawImage(png, {
      x: 38,
      y: 842 - 80 - (png.height * w) / png.width,
      width: w,
      height: (png.height * w) / png.width,
    });
    const pdfScanned = Buffer.from(await scanned.save());

    return {
      receipt: {
        name: 'recibo.png',
        contentType: 'image/png',
        bytes: receipt,
        words: wordsOf(SAMPLE_TEXT.receiptPt),
      },
      prescription: {
        name: 'receta.png',
        contentType: 'image/png',
        bytes: prescription,
        words: wordsOf(SAMPLE_TEXT.prescriptionEs),
      },
      rotated: {
        name: 'nota-girada.png',
        contentType: 'image/png',
        bytes: rotated,
        words: wordsOf(SAMPLE_TEXT.rotatedPt),
      },
      noisy: {
        name: 'factura-foto.png',
        contentType: 'image/png',
        bytes: noisy,
        words: wordsOf(SAMPLE_TEXT.noisyEs),
      },
      pdfLayer: {
        name: 'contrato.pdf',
        contentType: 'application/pdf',
        bytes: pdfLayer,
        words: wordsOf(SAMPLE_TEXT.pdfLayerPt),
      },
      pdfScanned: {
        name: 'certificado-escaneado.pdf',
        contentType: 'application/pdf',
        bytes: pdfScanned,
        words: wordsOf(SAMPLE_TEXT.pdfScannedEs),
      },
      corrupt: { name: 'foto-corrompida.jpg', contentType: 'image/jpeg', bytes: corruptJpeg(), words: [] },
      bomb: { name: 'bomba.png', contentType: 'image/png', bytes: pngBomb(30_000, 30_000), words: [] },
    };
  } finally {
    await browser.close();
  }
}

/** A JPEG signature followed by noise: every decoder refuses it. */
export function corruptJpeg(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), randomBytes(2000)]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/**
 * A valid grey PNG of width × height white pixels whose IDAT is tiny: every row (a filter byte and
 * `width` identical bytes) deflates to almost nothing, so 900 megapixels fit in about a megabyte
 * (compressed in row blocks, never holding the inflated image).
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(width + 1, 0xff);
  row[0] = 0; // filter: none
  // All rows are the same: deflate one block of rows once and repeat it (see streamDeflate).
  const rowsPerBlock = 256;
  const block = Buffer.concat(Array.from({ length: rowsPerBlock }, () => row));
  const lastRows = height % rowsPerBlock || rowsPerBlock;
  const out = streamDeflate(
    block,
    Math.ceil(height / rowsPerBlock),
    Buffer.concat(Array.from({ length: lastRows }, () => row)),
  );
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', out),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * One zlib stream of `blocks - 1` copies of `block` then `last`: each segment is a raw deflate
 * ended by a full flush (byte aligned, no shared window), so the segments concatenate.
 */
function streamDeflate(block: Buffer, blocks: number, last: Buffer): Buffer {
  const full = deflateRawSync(block, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const segments: Buffer[] = [Buffer.from([0x78, 0xda])];
  for (let i = 0; i < blocks - 1; i++) segments.push(full);
  segments.push(deflateRawSync(last, { level: 9 }));
  const blockSums = adlerSums(block);
  let sum = { a: 1, b: 0 };
  for (let i = 0; i < blocks - 1; i++) sum = adlerAppend(sum, blockSums);
  sum = adlerAppend(sum, adlerSums(last));
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(((sum.b << 16) | sum.a) >>> 0);
  segments.push(tail);
  return Buffer.concat(segments);
}

const ADLER_MOD = 65521;

/** What a buffer adds to an Adler-32: its length L, Σx and Σ(L−i)·x_i (mod 65521). */
function adlerSums(buf: Buffer): { length: number; sum: number; weighted: number } {
  let a = 0;
  let b = 0;
  for (const x of buf) {
    a = (a + x) % ADLER_MOD;
    b = (b + a) % ADLER_MOD;
  }
  return { length: buf.length, sum: a, weighted: b };
}

/** Adler-32 state after appending a buffer: a += Σx, b += L·a + Σ(L−i)·x_i, in O(1). */
function adlerAppend(
  s: { a: number; b: number },
  t: { length: number; sum: number; weighted: number },
): { a: number; b: number } {
  const b = (s.b + (((t.length % ADLER_MOD) * s.a) % ADLER_MOD) + t.weighted) % ADLER_MOD;
  return { a: (s.a + t.sum) % ADLER_MOD, b };
}
