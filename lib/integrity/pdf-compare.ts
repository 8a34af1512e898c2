import { createHash } from 'node:crypto';
import type { Db } from '../db/pool';
import { readStoredTicket, sealsOfTicket } from '../db/seals';
import { readAttachments } from '../pdf/attachments';
import type { ObjectStore } from '../storage/object-store';
import type { SealKeys } from './keys';
import {
  checkRedactedEvidence,
  checkSealEvidence,
  type EvidenceProblem,
  evidenceFileName,
  PDF_REDACTED_EVIDENCE_VERSION,
  type PdfSealEvidence,
  type RedactedSealEvidence,
  shownMessages,
} from './pdf-evidence';
import { diffRecords, type FieldDifference, type SealRecords } from './seal-v2';

/**
 * An exported PDF against the archive as it is now (`ticket-vault verify <tenant> <ticket> --pdf`):
 * the PDF's seal is checked with the installation's keys, then its sealed records are compared
 * field by field with what the archive stores and shows today, and the seal it carries with the
 * ticket's seals now (a later seal appended, or the PDF's seal gone from the chain). A PDF made
 * before someone edited Postgres keeps verifying on its own; this names what the edit changed.
 */
export interface PdfVersusArchive {
  ticketId: string;
  pdfSealId: string;
  /** The PDF's own evidence (signature with the installation's keys, root). */
  pdfProblems: EvidenceProblem[];
  /** The ticket's seals now, newest first; whether the PDF's seal is among them. */
  latestSealId: string | null;
  pdfSealInArchive: boolean;
  newerSeals: string[];
  /** Sealed value in the PDF (`sealed`) against the value stored now (`found`). */
  differences: FieldDifference[];
  archived: boolean;
}

export async function comparePdfWithArchive(
  db: Db,
  store: ObjectStore,
  tenantId: string,
  ticketId: string,
  pdf: Buffer,
  keys: SealKeys,
): Promise<PdfVersusArchive> {
  const attachment = (await readAttachments(pdf)).find((a) => a.name === evidenceFileName(ticketId));
  if (!attachment) throw new PdfCompareError(`the PDF carries no seal of ticket ${ticketId}`);
  if (!attachment.bytes) throw new PdfCompareError(`its seal attachment is damaged: ${attachment.error}`);
  let evidence: PdfSealEvidence;
  try {
    evidence = JSON.parse(attachment.bytes.toString('utf8')) as PdfSealEvidence;
  } catch (err) {
    throw new PdfCompareError(`its seal attachment is not JSON: ${(err as Error).message}`);
  }
  const trusted = {
    keys: keys.publicKeys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
    source: 'this installation',
  };
  // A redacted PDF discloses the header and the shown messages: those are compared.
  const redacted = (evidence as { version?: unknown }).version === PDF_REDACTED_EVIDENCE_VERSION;
  const check = redacted
    ? checkRedactedEvidence(evidence, attachment.name, trusted)
    : checkSealEvidence(evidence, attachment.name, trusted);
  const asRedacted = evidence as unknown as RedactedSealEvidence;
  const head = redacted ? asRedacted.leaves?.[0] : undefined;
  const sealed: SealRecords | null = redacted
    ? head && 'shown' in head
      ? { header: head.shown.record as SealRecords['header'], messages: shownMessages(asRedacted) }
      : null
    : (evidence.document ?? null);
  if (evidence.envelope?.tenantId !== tenantId)
    check.problems.push({
      ticketId,
      what: 'tenant',
      detail: `the PDF's seal is of tenant ${evidence.envelope?.tenantId}`,
    });
  const seals = await sealsOfTicket(db, tenantId, ticketId);
  const pdfSealId = evidence.envelope?.sealId ?? '';
  const index = seals.findIndex((s) => s.sealId === pdfSealId);
  const stored = await readStoredTicket(db, tenantId, ticketId);
  const shownIds = sealed ? new Set(sealed.messages.map((m) => m.messageId)) : new Set<string>();
  const current =
    stored && redacted
      ? { ...stored.records, messages: stored.records.messages.filter((m) => shownIds.has(m.messageId)) }
      : stored?.records;
  const differences = current && sealed ? diffRecords(sealed, current) : [];
  // The media bytes as stored now against the hashes the PDF's seal holds (a replaced object).
  if (stored && sealed) {
    const keyOf = new Map(
      stored.messageRows.flatMap((m) =>
        m.media.map((a) => [`${m.messageId}#${a.ordinal}`, a.storageKey] as const),
      ),
    );
    for (const m of sealed.messages) {
      for (const a of m.media) {
        const key = keyOf.get(`${m.messageId}#${a.ordinal}`);
        if (a.status !== 'stored' || !a.sha256 || !key) continue;
        let now: string;
        try {
          const hash = createHash('sha256');
          for await (const chunk of store.get(key)) hash.update(chunk as Buffer);
          now = hash.digest('hex');
        } catch {
          now = 'missing from storage';
        }
        if (now !== a.sha256)
          differences.push({
            messageId: m.messageId,
            ordinal: a.ordinal,
            field: `media[${a.ordinal}].sha256 (bytes in storage)`,
            sealed: a.sha256,
            found: now,
          });
      }
    }
  }
  return {
    ticketId,
    pdfSealId,
    pdfProblems: check.problems,
    latestSealId: seals[0]?.sealId ?? null,
    pdfSealInArchive: index >= 0,
    newerSeals: (index >= 0 ? seals.slice(0, index) : seals).map((s) => s.sealId),
    differences,
    archived: stored !== null,
  };
}

export class PdfCompareError extends Error {
  override name = 'PdfCompareError';
}
