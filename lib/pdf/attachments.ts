import {
  AFRelationship,
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFString,
} from 'pdf-lib';

/**
 * Embedded files of a PDF (ISO 32000 §7.11.4): written after Chromium has printed the document,
 * read back by `verify-pdf` with no poppler needed.
 */

export interface PdfAttachment {
  name: string;
  bytes: Buffer;
  mimeType: string;
  description: string;
}

/** Adds the attachments to the PDF at `bytes` and returns the new file's bytes. */
export async function attachFiles(bytes: Uint8Array, files: PdfAttachment[], at: Date): Promise<Buffer> {
  return (await attachFilesCounted(bytes, files, at)).bytes;
}

/** attachFiles, also returning the page count from the same parse (no second pass over the file). */
export async function attachFilesCounted(
  bytes: Uint8Array,
  files: PdfAttachment[],
  at: Date,
): Promise<{ bytes: Buffer; pages: number }> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  for (const f of files) {
    await doc.attach(f.bytes, f.name, {
      mimeType: f.mimeType,
      description: f.description,
      creationDate: at,
      modificationDate: at,
      afRelationship: AFRelationship.Data,
    });
  }
  const pages = doc.getPageCount();
  return { bytes: Buffer.from(await doc.save({ updateFieldAppearances: false })), pages };
}

export class PdfAttachmentError extends Error {
  override name = 'PdfAttachmentError';
}

const text = (v: unknown) =>
  v instanceof PDFString || v instanceof PDFHexString ? v.decodeText() : undefined;

/**
 * The PDF's embedded files (the catalog's EmbeddedFiles name tree). A file whose stream cannot be
 * decoded is returned with `error` instead of bytes, so the caller can name it.
 */
export async function readAttachments(
  bytes: Uint8Array,
): Promise<Array<{ name: string; bytes: Buffer | null; error?: string }>> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: false });
  const names = doc.catalog.lookupMaybe(PDFName.of('Names'), PDFDict);
  const tree = names?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict);
  const out: Array<{ name: string; bytes: Buffer | null; error?: string }> = [];
  const walk = (node: PDFDict, depth: number) => {
    if (depth > 32) throw new PdfAttachmentError('the EmbeddedFiles name tree is too deep');
    const kids = node.lookupMaybe(PDFName.of('Kids'), PDFArray);
    if (kids) for (let i = 0; i < kids.size(); i++) walk(kids.lookup(i, PDFDict), depth + 1);
    const list = node.lookupMaybe(PDFName.of('Names'), PDFArray);
    if (!list) return;
    for (let i = 0; i + 1 < list.size(); i += 2) {
      const spec = list.lookup(i + 1);
      if (!(spec instanceof PDFDict)) continue;
      const name =
        text(spec.lookup(PDFName.of('UF'))) ??
        text(spec.lookup(PDFName.of('F'))) ??
        text(list.lookup(i)) ??
        '';
      const ef = spec.lookupMaybe(PDFName.of('EF'), PDFDict);
      const stream = ef?.lookup(PDFName.of('F'));
      if (!(stream instanceof PDFRawStream)) {
        out.push({ name, bytes: null, error: 'no readable embedded file stream' });
        continue;
      }
      try {
        out.push({ name, bytes: Buffer.from(decodePDFRawStream(stream).decode()) });
      } catch (err) {
        out.push({ name, bytes: null, error: `its stream does not decode (${(err as Error).message})` });
      }
    }
  };
  if (tree) walk(tree, 0);
  return out;
}
