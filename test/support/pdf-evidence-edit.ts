import { PDFDict, PDFDocument, PDFName } from 'pdf-lib';
import { evidenceFileName } from '../../lib/integrity/pdf-evidence';
import { attachFiles } from '../../lib/pdf/attachments';

/**
 * The same PDF (pages untouched) with the seal attachment of `ticketId` replaced by `evidence`,
 * as an attacker with pdf-lib would make it: the tamper tests check verify-pdf catches it.
 */
export async function pdfWithEvidence(bytes: Buffer, ticketId: string, evidence: unknown): Promise<Buffer> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  doc.catalog.lookup(PDFName.of('Names'), PDFDict).delete(PDFName.of('EmbeddedFiles'));
  doc.catalog.delete(PDFName.of('AF'));
  return attachFiles(
    await doc.save(),
    [
      {
        name: evidenceFileName(ticketId),
        bytes: Buffer.from(JSON.stringify(evidence)),
        mimeType: 'application/json',
        description: 'edited',
      },
    ],
    new Date(),
  );
}
