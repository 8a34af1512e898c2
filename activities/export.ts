import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Browser } from 'puppeteer-core';
import type { SecretBox } from '../lib/crypto/secret-box';
import { writeAudit } from '../lib/db/audit';
import { contactOfExport, exportAuditTarget } from '../lib/db/export-targets';
import { type ExportRecord, failExport, finishExportIfTicketsRemain, getExport } from '../lib/db/exports';
import type { Db } from '../lib/db/pool';
import { readContactTickets, readTicket, type TicketView } from '../lib/db/read';
import { envelopeOf, parseSealDocument, sealsOfTicket } from '../lib/db/seals';
import { getTenant } from '../lib/db/tenants';
import { jcsBytes } from '../lib/integrity/jcs';
import type { SealKeyProvider } from '../lib/integrity/key-provider';
import { publishedKey } from '../lib/integrity/keys';
import {
  type AtExportCheck,
  buildPdfSealEvidence,
  buildRedactedSealEvidence,
  evidenceBytes,
  evidenceFileName,
} from '../lib/integrity/pdf-evidence';
import { verifyTicket } from '../lib/integrity/verify';
import { attachFilesCounted, type PdfAttachment } from '../lib/pdf/attachments';
import { type ExportRedaction, writeExportHtml } from '../lib/pdf/export-html';
import { DEFAULT_TIME_ZONE, exportFileName } from '../lib/pdf/format';
import { DEFAULT_PDF_LANG, fill, PDF_LABELS, type PdfLang, parseLang } from '../lib/pdf/i18n';
import { printPdf } from '../lib/pdf/print';
import { type PdfSigner, signPdf } from '../lib/pdf/signature';
import { buildMatcher, type Matcher } from '../lib/redaction/patterns';
import { withheldInPlace } from '../lib/redaction/withheld';
import type { ObjectStore } from '../lib/storage/object-store';
import { putFile } from '../lib/storage/put-file';
import { heartbeat } from './activity-context';
import type { ExportActivities } from './export-types';

/**
 * PDF export: HTML streamed from Postgres to a temp file, printed by Chromium to another temp
 * file, hashed and uploaded. Only ids and the small result cross Temporal.
 */
export interface ExportDeps {
  db: Db;
  /** Names a contact in the audit log by its keyed fingerprint (lib/retention/erasure-hash.ts). */
  box: SecretBox;
  store: ObjectStore;
  /** Chromium, launched on first use and shared by exports. */
  browser: () => Promise<Browser>;
  /** Where the verify endpoint lives, printed in the document. */
  publicApiUrl: string;
  maxEmbeddedImageBytes: number;
  printTimeoutMs: number;
  /** The installation's seal keys: "verified at export" checks the v2 seal's signature too. */
  sealKeys: SealKeyProvider;
  /** Signs every exported PDF last (PKCS#7, lib/pdf/signature.ts), so readers show it unaltered. */
  pdfSigner: PdfSigner;
  /** Test seam: runs after the PDF is rendered, before it is stored. */
  exportHooks?: { beforeStore?: (exportId: string) => Promise<void> };
}

export const TICKET_ERASED_WHILE_RENDERING = 'ticket erased while the export rendered';

const inRange = (t: TicketView, from?: string, to?: string) =>
  (!from || (t.closedAt ?? '') >= from) && (!to || (t.closedAt ?? '') <= to);

export function createExportActivities(deps: ExportDeps): ExportActivities {
  return {
    async renderExportPdf({ exportId, lang: asked }) {
      const record = await getExport(deps.db, exportId);
      if (!record)
        throw ApplicationFailure.nonRetryable(`export ${exportId} does not exist`, 'ExportNotFound');
      const tenant = await getTenant(deps.db, record.tenantId);
      // The workflow input's language; workflows started before issue 15 carry none.
      const lang = parseLang(asked) ?? parseLang(record.lang) ?? DEFAULT_PDF_LANG;
      const timeZone = tenant?.timeZone ?? DEFAULT_TIME_ZONE;
      const t = PDF_LABELS[lang];
      let tickets: TicketView[];
      if (record.kind === 'ticket') {
        const ticket = await readTicket(deps.db, record.tenantId, record.target);
        if (!ticket) {
          // A retry after an attempt that stored the PDF and then lost the race to a purge.
          await deps.store.delete(`${record.tenantId}/exports/${exportId}.pdf`);
          throw ApplicationFailure.nonRetryable(
            `ticket ${record.target} is not archived`,
            'TicketNotArchived',
          );
        }
        tickets = [ticket];
      } else {
        const { from, to } = record.params ?? {};
        // Oldest first reads as a history; the API lists newest first.
        const identity = contactOfExport(deps.box, record);
        tickets = (await readContactTickets(deps.db, record.tenantId, identity, 10_000))
          .filter((x) => inRange(x, from, to))
          .reverse();
      }
      const first = tickets[0];
      const contactName = first?.contact.name ?? first?.contact.phone ?? null;
      const downloadName =
        record.kind === 'ticket'
          ? exportFileName({
              kind: 'ticket',
              sequentialId: first?.sequentialId ?? null,
              contactName,
              closedAt: first?.closedAt ?? null,
              timeZone,
            })
          : exportFileName({
              kind: 'contact',
              contactName,
              from: first?.closedAt ?? null,
              to: tickets[tickets.length - 1]?.closedAt ?? null,
              timeZone,
            });
      const footerTitle =
        record.kind === 'ticket'
          ? `${fill(t.ticketTitle, { n: first?.sequentialId ?? '—' })}${contactName ? ` · ${contactName}` : ''}`
          : fill(t.contactTitle, { name: contactName ?? t.roleCustomer });

      // "Verified at export" on the cover means this: every field recomputed now from the stored
      // messages and media bytes matches the seal, and the seal's signature and chain hold.
      const sealVerified = new Map<string, boolean | null>();
      // What verify found, per ticket: travels in the seal attachment so verify-pdf names it.
      const atExport = new Map<string, AtExportCheck>();
      const verifying = setInterval(heartbeat, 5_000);
      try {
        for (const ticket of tickets) {
          const result = ticket.digest
            ? await verifyTicket(deps.db, deps.store, record.tenantId, ticket.ticketId, deps.sealKeys)
            : null;
          sealVerified.set(ticket.ticketId, result ? result.ok : null);
          if (result)
            atExport.set(ticket.ticketId, {
              checkedAt: new Date().toISOString(),
              ok: result.ok,
              problems: result.problems.map(
                ({ source, messageId, ordinal, field, expected, found, message }) => ({
                  source,
                  messageId,
                  ordinal,
                  field,
                  expected,
                  found,
                  message,
                }),
              ),
            });
        }
      } finally {
        clearInterval(verifying);
      }

      const keysUrl = `${deps.publicApiUrl}/.well-known/ticket-vault-keys`;
      // A redacted export (docs/evidence.md): who asked is the export's requester.
      const redaction = record.params?.redact
        ? redactionOf(record.params.redact, record.requestedBy)
        : undefined;

      const work = fs.mkdtempSync(path.join(os.tmpdir(), `tv-export-${randomUUID()}-`));
      try {
        const htmlPath = path.join(work, 'document.html');
        const pdfPath = path.join(work, 'document.pdf');
        const out = fs.createWriteStream(htmlPath);
        const write = (chunk: string) =>
          new Promise<void>((resolve, reject) => {
            heartbeat();
            out.write(chunk, (err) => (err ? reject(err) : resolve()));
          });
        const { messages, redaction: outcome } = await writeExportHtml(
          { db: deps.db, store: deps.store, maxEmbeddedImageBytes: deps.maxEmbeddedImageBytes },
          {
            exportId,
            kind: record.kind,
            tenantId: record.tenantId,
            botIdentity: tenant?.botIdentity ?? record.tenantId,
            tenantName: tenant?.name ?? null,
            requestedBy: record.requestedBy,
            generatedAt: new Date(),
            lang,
            timeZone,
            tickets,
            sealVerified,
            redaction,
            verifyUrlOf: (id) => `${deps.publicApiUrl}/v1/tickets/${id}/verify`,
            keysUrl,
          },
          write,
        );
        await new Promise<void>((resolve, reject) =>
          out.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
        // After the pages: a message printed with parts replaced cannot disclose its sealed record.
        const attachments = await sealAttachments(
          deps,
          record.tenantId,
          tickets,
          lang,
          keysUrl,
          atExport,
          redaction && { ...redaction, shownRedacted: new Set(outcome.partial.keys()) },
        );

        const beat = setInterval(heartbeat, 5_000);
        try {
          await printPdf(await deps.browser(), htmlPath, pdfPath, {
            footerTitle,
            pageWords: { page: t.page, of: t.of },
            timeoutMs: deps.printTimeoutMs,
          });
        } finally {
          clearInterval(beat);
        }
        // The one whole-file step: the seals travel inside the PDF (verify-pdf), added by pdf-lib,
        // and the file is signed last so the signature covers pages and attachments. Its size is
        // bounded by EXPORT_MAX_MESSAGES and the embedded-image cap. It ends with the final file on
        // disk; from here on nothing holds the document in memory.
        const { pages } = await finishPdfFile(
          pdfPath,
          attachments,
          deps.pdfSigner,
          fill(t.signatureReason, { exportId }),
        );
        const storageKey = `${record.tenantId}/exports/${exportId}.pdf`;
        await deps.exportHooks?.beforeStore?.(exportId);
        // Streamed: hashed in one pass over the file, uploaded in another.
        const { sha256, size } = await putFile(deps.store, storageKey, pdfPath, {
          contentType: 'application/pdf',
          metadata: { pages: String(pages), exportId },
        });
        // A purge that ran while this rendered deleted the export's row and PDF before this PDF
        // existed: re-check under the tickets' row locks that everything printed is still archived.
        const gone = await finishExportIfTicketsRemain(
          deps.db,
          exportId,
          record.tenantId,
          tickets.map((x) => x.ticketId),
          { storageKey, sha256, pages, size, messageCount: messages, lang, downloadName },
        );
        if (gone.length > 0) {
          await deps.store.delete(storageKey);
          await failExport(deps.db, exportId, TICKET_ERASED_WHILE_RENDERING);
          throw ApplicationFailure.nonRetryable(TICKET_ERASED_WHILE_RENDERING, 'TicketErased');
        }
        await writeAudit(deps.db, {
          tenantId: record.tenantId,
          actor: record.requestedBy,
          action: 'export.done',
          target: exportAuditTarget(deps.box, record),
          details: { exportId, sha256, pages, lang },
        });
        return { exportId, sha256, pages, size, messageCount: messages };
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    },

    async markExportFailed({ exportId, error }) {
      await failExport(deps.db, exportId, error);
    },
  };
}

/** The export's redaction request as the renderer applies it; a bad stored pattern fails the export. */
function redactionOf(
  r: NonNullable<NonNullable<ExportRecord['params']>['redact']>,
  by: string,
): ExportRedaction {
  let matcher: Matcher | undefined;
  try {
    matcher = r.patterns?.length || r.regex?.length ? buildMatcher(r.patterns, r.regex) : undefined;
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'RedactionPatternInvalid');
  }
  return {
    messages: new Set(r.messages),
    by,
    reason: r.reason,
    ...(matcher ? { matcher } : {}),
    ...(r.regex?.length ? { customPatterns: r.regex.length } : {}),
  };
}

/**
 * Adds the seal attachments to the printed PDF in place and returns its page count (read from the
 * same parse). The seam for any step that needs the whole document (attachments, a signature):
 * it takes the file and leaves the final file; storing it (putFile) streams.
 */
async function finishPdfFile(
  pdfPath: string,
  attachments: PdfAttachment[],
  signer: PdfSigner,
  reason: string,
): Promise<{ pages: number }> {
  const { bytes, pages } = await attachFilesCounted(fs.readFileSync(pdfPath), attachments, new Date());
  fs.writeFileSync(pdfPath, await signPdf(bytes, signer, { reason }));
  return { pages };
}

/**
 * Per ticket with a v2 seal: the sealed records, the signed envelope and the published keys, as
 * the attachment verify-pdf checks (lib/integrity/pdf-evidence.ts). The seal is the one the cover
 * and annex name (the ticket's latest); a seal whose data was erased has nothing to embed.
 */
async function sealAttachments(
  deps: ExportDeps,
  tenantId: string,
  tickets: TicketView[],
  lang: PdfLang,
  keysUrl: string,
  atExport: Map<string, AtExportCheck>,
  redaction?: ExportRedaction & { shownRedacted: ReadonlySet<string> },
): Promise<PdfAttachment[]> {
  const withSeal = tickets.filter((x) => x.seal);
  if (withSeal.length === 0) return [];
  const keys = await deps.sealKeys();
  const publicKeys = keys.publicKeys.map(publishedKey);
  const out: PdfAttachment[] = [];
  for (const ticket of withSeal) {
    heartbeat();
    const row = (await sealsOfTicket(deps.db, tenantId, ticket.ticketId)).find(
      (s) => s.sealId === ticket.seal?.sealId,
    );
    if (!row?.data) continue;
    const document = parseSealDocument(row.data);
    // Partly redacted: what the pages printed with markers, and any sealed record whose own text,
    // content or file names match (the stored and the sealed record may differ; neither may leak).
    const matcher = redaction?.matcher;
    const inPlace = redaction
      ? withheldInPlace(document.messages, {
          whole: redaction.messages,
          printedRedacted: redaction.shownRedacted,
          ...(matcher ? { matcher } : {}),
          lang,
        })
      : new Set<string>();
    const hide = new Set([...(redaction?.messages ?? []), ...inPlace]);
    if (redaction && document.messages.some((m) => hide.has(m.messageId))) {
      // Only what the pages show verbatim is disclosed; the rest travels as salted leaf hashes.
      const redacted = buildRedactedSealEvidence({
        lang,
        document,
        hide,
        shownRedacted: inPlace,
        redaction: {
          by: redaction.by,
          at: new Date().toISOString(),
          reason: redaction.reason,
          ...(matcher ? { patterns: matcher.kinds } : {}),
          ...(redaction.customPatterns ? { customPatterns: redaction.customPatterns } : {}),
        },
        envelope: envelopeOf(row),
        signature: row.signature,
        publicKeys,
        keysUrl,
        development: keys.development,
        atExport: atExport.get(ticket.ticketId),
      });
      out.push({
        name: evidenceFileName(ticket.ticketId),
        bytes: jcsBytes(redacted),
        mimeType: 'application/json',
        description: `ticket-vault seal ${row.sealId} of ticket ${ticket.ticketId}, redacted: shown records with inclusion proofs, hidden ones as salted hashes`,
      });
      continue;
    }
    const evidence = buildPdfSealEvidence({
      lang,
      document,
      envelope: envelopeOf(row),
      signature: row.signature,
      publicKeys,
      keysUrl,
      development: keys.development,
      atExport: atExport.get(ticket.ticketId),
    });
    out.push({
      name: evidenceFileName(ticket.ticketId),
      bytes: evidenceBytes(evidence),
      mimeType: 'application/json',
      description: `ticket-vault seal ${row.sealId} of ticket ${ticket.ticketId}: sealed records, signed envelope, public keys`,
    });
  }
  return out;
}
