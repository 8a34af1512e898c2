import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { PDFDocument } from 'pdf-lib';
import type { Browser } from 'puppeteer-core';
import { writeAudit } from '../lib/db/audit';
import { failExport, finishExport, getExport } from '../lib/db/exports';
import type { Db } from '../lib/db/pool';
import { readContactTickets, readTicket, type TicketView } from '../lib/db/read';
import { getTenant } from '../lib/db/tenants';
import { writeExportHtml } from '../lib/pdf/export-html';
import { printPdf } from '../lib/pdf/print';
import type { ObjectStore } from '../lib/storage/object-store';
import { heartbeat } from './activity-context';
import type { ExportActivities } from './export-types';

/**
 * PDF export: HTML streamed from Postgres to a temp file, printed by Chromium to another temp
 * file, hashed and uploaded. Only ids and the small result cross Temporal.
 */
export interface ExportDeps {
  db: Db;
  store: ObjectStore;
  /** Chromium, launched on first use and shared by exports. */
  browser: () => Promise<Browser>;
  /** Where the verify endpoint lives, printed in the document. */
  publicApiUrl: string;
  maxEmbeddedImageBytes: number;
  printTimeoutMs: number;
}

const inRange = (t: TicketView, from?: string, to?: string) =>
  (!from || (t.closedAt ?? '') >= from) && (!to || (t.closedAt ?? '') <= to);

export function createExportActivities(deps: ExportDeps): ExportActivities {
  return {
    async renderExportPdf({ exportId }) {
      const record = await getExport(deps.db, exportId);
      if (!record)
        throw ApplicationFailure.nonRetryable(`export ${exportId} does not exist`, 'ExportNotFound');
      const tenant = await getTenant(deps.db, record.tenantId);
      let tickets: TicketView[];
      let subject: string;
      if (record.kind === 'ticket') {
        const ticket = await readTicket(deps.db, record.tenantId, record.target);
        if (!ticket)
          throw ApplicationFailure.nonRetryable(
            `ticket ${record.target} is not archived`,
            'TicketNotArchived',
          );
        tickets = [ticket];
        subject = `ticket #${ticket.sequentialId ?? '—'} (${ticket.ticketId})`;
      } else {
        const { from, to } = record.params ?? {};
        // Oldest first reads as a history; the API lists newest first.
        tickets = (await readContactTickets(deps.db, record.tenantId, record.target, 10_000))
          .filter((t) => inRange(t, from, to))
          .reverse();
        subject = `contact ${record.target}${from || to ? `, closed ${from ?? '…'} – ${to ?? '…'}` : ''}`;
      }

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
        const { messages } = await writeExportHtml(
          { db: deps.db, store: deps.store, maxEmbeddedImageBytes: deps.maxEmbeddedImageBytes },
          {
            exportId,
            tenantId: record.tenantId,
            botIdentity: tenant?.botIdentity ?? record.tenantId,
            tenantName: tenant?.name ?? null,
            requestedBy: record.requestedBy,
            generatedAt: new Date(),
            subject,
            tickets,
            verifyUrlOf: (id) => `${deps.publicApiUrl}/v1/tickets/${id}/verify`,
          },
          write,
        );
        await new Promise<void>((resolve, reject) =>
          out.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );

        const beat = setInterval(heartbeat, 5_000);
        try {
          await printPdf(await deps.browser(), htmlPath, pdfPath, {
            exportId,
            timeoutMs: deps.printTimeoutMs,
          });
        } finally {
          clearInterval(beat);
        }
        const bytes = fs.readFileSync(pdfPath);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const pages = (await PDFDocument.load(bytes, { updateMetadata: false })).getPageCount();
        const storageKey = `${record.tenantId}/exports/${exportId}.pdf`;
        await deps.store.put(storageKey, fs.createReadStream(pdfPath), {
          contentType: 'application/pdf',
          metadata: { sha256, pages: String(pages), exportId },
        });
        await finishExport(deps.db, exportId, {
          storageKey,
          sha256,
          pages,
          size: bytes.length,
          messageCount: messages,
        });
        await writeAudit(deps.db, {
          tenantId: record.tenantId,
          actor: record.requestedBy,
          action: 'export.done',
          target: `${record.kind}:${record.target}`,
          details: { exportId, sha256, pages },
        });
        return { exportId, sha256, pages, size: bytes.length, messageCount: messages };
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    },

    async markExportFailed({ exportId, error }) {
      await failExport(deps.db, exportId, error);
    },
  };
}
