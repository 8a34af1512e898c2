/**
 * Width and height of an image from its header, without decoding it, so a decompression bomb (a
 * small file that inflates to gigabytes of pixels) is refused before any decoder runs. Formats
 * Tesseract's Leptonica reads: PNG, JPEG, GIF, WebP, BMP, TIFF. null = not one of them or a header
 * too broken to tell.
 */
export interface ImageSize {
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'tiff';
  width: number;
  height: number;
}

export function sniffImage(b: Buffer): ImageSize['format'] | null {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return 'gif';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP')
    return 'webp';
  if (b.length >= 2 && b.toString('latin1', 0, 2) === 'BM') return 'bmp';
  if (b.length >= 4 && (b.toString('latin1', 0, 4) === 'II*\0' || b.toString('latin1', 0, 4) === 'MM\0*'))
    return 'tiff';
  return null;
}

export function imageSize(b: Buffer): ImageSize | null {
  const format = sniffImage(b);
  try {
    switch (format) {
      case 'png':
        return b.length >= 24 && b.toString('latin1', 12, 16) === 'IHDR'
          ? { format, width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
          : null;
      case 'gif':
        return b.length >= 10 ? { format, width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : null;
      case 'bmp':
        return b.length >= 26
          ? { format, width: Math.abs(b.readInt32LE(18)), height: Math.abs(b.readInt32LE(22)) }
          : null;
      case 'jpeg':
        return jpegSize(b);
      case 'webp':
        return webpSize(b);
      case 'tiff':
        return tiffSize(b);
      default:
        return null;
    }
  } catch {
    return null; // a header cut short: RangeError from a read past the end
  }
}

function jpegSize(b: Buffer): ImageSize | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i++;
      continue;
    }
    // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { format: 'jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return null;
}

function webpSize(b: Buffer): ImageSize | null {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X')
    return { format: 'webp', width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8 ')
    return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return null;
}

function tiffSize(b: Buffer): ImageSize | null {
  const le = b[0] === 0x49;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const ifd = u32(4);
  const entries = u16(ifd);
  let width = 0;
  let height = 0;
  for (let e = 0; e < entries && e < 512; e++) {
    const at = ifd + 2 + e * 12;
    const tag = u16(at);
    const value = u16(at + 2) === 3 ? u16(at + 8) : u32(at + 8);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return width > 0 && height > 0 ? { format: 'tiff', width, height } : null;
}
