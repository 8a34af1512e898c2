import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { SecretBox } from '../crypto/secret-box';
import { writeAudit } from '../db/audit';
import { createExportWithinLimit } from '../db/export-limits';
import { storedTargetOf } from '../db/export-targets';
import { createExport, type ExportParams } from '../db/exports';
import type { Db } from '../db/pool';
import type { PdfLang } from '../pdf/i18n';
import { auditTargetOf } from '../retention/erasure-hash';
import { exportWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from './contract';

export interface ExportRequest {
  tenantId: string;
  /** Who asked (session actor, or `cli:<user>@<host>`): recorded on the export and in the audit log. */
  actor: string;
  kind: 'ticket' | 'contact';
  /** The ticket id, or the contact identity. */
  target: string;
  /** Contact exports: the close-date window. */
  params?: ExportParams | null;
  /** The document's language (pt-BR, es, en), decided by the caller (request body, Accept-Language). */
  lang: PdfLang;
  /** Extra audit details (e.g. `{ via: 'cli' }`). */
  auditDetails?: Record<string, unknown>;
  /** Refuse (ExportLimitError) when the tenant already has this many exports running; unset: no limit (CLI). */
  maxRunningPerTenant?: number;
}

/**
 * The one export-start sequence for the API and the CLI: a new export id, the `exports` row
 * (so a poll finds it at once), the workflow, then the audit entry.
 */
export async function startExport(
  deps: { db: Db; box: SecretBox; temporal: Client; taskQueue: string },
  req: ExportRequest,
): Promise<{ exportId: string; workflowId: string }> {
  const { tenantId, actor, kind, target, lang } = req;
  const params = req.params ?? null;
  const exportId = randomUUID();
  // A contact is stored as its keyed fingerprint plus the sealed identity, never in clear.
  const stored = storedTargetOf(deps.box, { tenantId, exportId, kind, target });
  const row = { exportId, tenantId, kind, ...stored, params, requestedBy: actor, lang };
  if (req.maxRunningPerTenant === undefined) await createExport(deps.db, row);
  else await createExportWithinLimit(deps.db, row, req.maxRunningPerTenant);
  // The render activity reads the contact from the export row: the identity stays out of Temporal's
  // history (kept, replicated, shown in its UI), where no erasure reaches it.
  const args =
    kind === 'ticket'
      ? { exportId, tenantId, ticketId: target, requestedBy: actor, lang }
      : { exportId, tenantId, from: params?.from, to: params?.to, requestedBy: actor, lang };
  const workflowId = exportWorkflowId(tenantId, exportId);
  await deps.temporal.workflow.start(
    kind === 'ticket' ? WORKFLOW.exportTicketPdf : WORKFLOW.exportContactPdf,
    {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [args],
      searchAttributes: {
        [SEARCH_ATTRIBUTE.tenantId]: [tenantId],
        ...(kind === 'ticket' ? { [SEARCH_ATTRIBUTE.ticketId]: [target] } : {}),
      },
    },
  );
  await writeAudit(deps.db, {
    tenantId,
    actor,
    action: 'export.request',
    target: auditTargetOf(deps.box, tenantId, kind, target),
    details: {
      exportId,
      lang,
      ...(params?.redact
        ? {
            redactedMessages: params.redact.messages.length,
            redactionReason: params.redact.reason,
            // The kinds, and how many custom patterns: their text may itself spell what is hidden.
            ...(params.redact.patterns ? { redactedPatterns: params.redact.patterns } : {}),
            ...(params.redact.regex ? { redactedCustomPatterns: params.redact.regex.length } : {}),
          }
        : {}),
      ...req.auditDetails,
    },
  });
  return { exportId, workflowId };
}
