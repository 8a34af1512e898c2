import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ExportActivities, ExportResult } from '../activities/export-types';

/**
 * PDF exports. The API records the request (exports row, status running) and starts one of these
 * with the export id; the document is rendered and stored by one activity, so no HTML or PDF
 * bytes ever enter workflow history. A failure is recorded on the export before the workflow fails.
 */
export interface ExportTicketPdfInput {
  exportId: string;
  tenantId: string;
  ticketId: string;
  requestedBy: string;
  /**
   * The document's language (pt-BR, es, en). Optional: workflows started before issue 15 have
   * none and render in pt-BR. Only the activity's input changes, not the command sequence, so
   * histories recorded without it replay unchanged (no patch needed).
   */
  lang?: string;
}

export interface ExportContactPdfInput {
  exportId: string;
  tenantId: string;
  /**
   * Only in workflows started before migration 015: the contact now stays out of workflow input
   * (the activity reads it, sealed, from the export row). The workflow never read it, so the
   * command sequence is the same with or without it and no patch is needed.
   */
  identity?: string;
  from?: string;
  to?: string;
  requestedBy: string;
  /** As for ExportTicketPdfInput. */
  lang?: string;
}

const render = proxyActivities<ExportActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

const record = proxyActivities<ExportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

async function runExport(exportId: string, lang: string | undefined): Promise<ExportResult> {
  try {
    return await render.renderExportPdf(lang === undefined ? { exportId } : { exportId, lang });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause ?? (err as Error);
    await record.markExportFailed({ exportId, error: cause.message });
    throw ApplicationFailure.nonRetryable(`export ${exportId} failed: ${cause.message}`, 'ExportFailed');
  }
}

export async function exportTicketPdf(input: ExportTicketPdfInput): Promise<ExportResult> {
  return runExport(input.exportId, input.lang);
}

export async function exportContactPdf(input: ExportContactPdfInput): Promise<ExportResult> {
  return runExport(input.exportId, input.lang);
}
