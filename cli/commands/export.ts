import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { writeAudit } from '../../lib/db/audit';
import { downloadNameOf, getExport } from '../../lib/db/exports';
import { readTicket } from '../../lib/db/read';
import { DEFAULT_PDF_LANG, PDF_LANGS, parseLang } from '../../lib/pdf/i18n';
import { checkRedaction, PATTERN_KINDS, redactionProblemText } from '../../lib/redaction/patterns';
import { startExport } from '../../lib/temporal/export-starter';
import type { CliDeps, CliIo } from '../context';
import {
  type CommandContext,
  type CommandResult,
  progressLine,
  tenantArg,
  ticketArg,
  UsageError,
  withJson,
} from './common';

/** The `export` command's options as commander parses them. */
interface ExportOptions {
  out?: string;
  lang?: string;
  redact?: string;
  redactReason?: string;
  redactPattern?: string;
  redactRegex?: string[];
}

/** `export <tenant> <ticket>`: the same PDF export the API starts, audited as the CLI user. */

export async function exportCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string,
  ticket: string,
  opts: ExportOptions,
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  const ticketId = ticketArg(ticket);
  const lang = opts.lang === undefined ? DEFAULT_PDF_LANG : parseLang(opts.lang);
  if (!lang) throw new UsageError(`--lang must be one of ${PDF_LANGS.join(', ')}`);
  if (!(await readTicket(deps.db, tenantId, ticketId))) {
    return {
      code: 1,
      data: { tenantId, ticketId, error: 'not archived' },
      text: `ticket ${ticketId} of ${tenantId} is not archived`,
    };
  }
  // --redact: comma-separated message ids of this ticket to hide (a redacted export, docs/evidence.md).
  const hide = [
    ...new Set(
      (opts.redact ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (opts.redact !== undefined && hide.length === 0) throw new UsageError('--redact needs message ids');
  if (hide.length > 0) {
    const { rows } = await deps.db.query<{ message_id: string }>(
      'select message_id from messages where tenant_id = $1 and ticket_id = $2 and message_id = any($3::text[])',
      [tenantId, ticketId, hide],
    );
    const known = new Set(rows.map((r) => r.message_id));
    const unknown = hide.find((id) => !known.has(id));
    if (unknown !== undefined)
      throw new UsageError(`--redact: ${unknown} is not a message of ticket ${ticketId}`);
  }
  // --redact-pattern cpf,email and --redact-regex (repeatable): replaced in place (lib/redaction/patterns.ts).
  const patterns = [
    ...new Set(
      (opts.redactPattern ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  const regex = [...new Set(opts.redactRegex ?? [])];
  const problem = checkRedaction(patterns, regex);
  if (problem) throw new UsageError(`--redact-pattern/--redact-regex: ${redactionProblemText(problem)}`);
  const redact =
    hide.length > 0 || patterns.length > 0 || regex.length > 0
      ? {
          messages: hide,
          reason: opts.redactReason?.trim() || null,
          ...(patterns.length > 0 ? { patterns } : {}),
          ...(regex.length > 0 ? { regex } : {}),
        }
      : null;
  const temporal = await deps.temporal();
  const { exportId, workflowId } = await startExport(
    { db: deps.db, box: deps.box, temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE },
    {
      tenantId,
      actor: deps.actor,
      kind: 'ticket',
      target: ticketId,
      lang,
      params: redact ? { redact } : null,
      auditDetails: { via: 'cli' },
    },
  );
  const handle = temporal.workflow.getHandle(workflowId);
  const line = progressLine(io);
  line.update(`export ${exportId}: rendering…`);
  try {
    await handle.result();
  } catch (err) {
    line.end();
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    return {
      code: 1,
      data: { exportId, workflowId, status: 'failed', error: cause },
      text: `export failed: ${cause}`,
    };
  }
  line.end();
  const record = await getExport(deps.db, exportId, tenantId);
  if (record?.status !== 'done' || !record.storageKey) {
    return {
      code: 1,
      data: { exportId, status: record?.status ?? 'missing', error: record?.error },
      text: `export ${exportId}: ${record?.error ?? 'not done'}`,
    };
  }
  const data: Record<string, unknown> = {
    exportId,
    workflowId,
    status: 'done',
    sha256: record.sha256,
    pages: record.pages,
    size: record.size,
    lang,
    fileName: downloadNameOf(record),
  };
  let text: string;
  if (opts.out) {
    await pipeline(deps.store.get(record.storageKey), createWriteStream(opts.out));
    data.file = opts.out;
    text = `wrote ${opts.out} (${record.pages} pages, ${record.size} bytes, sha-256 ${record.sha256})`;
  } else {
    const url = await deps.store.signedReadUrl(record.storageKey, {
      expiresInSeconds: deps.config.SIGNED_URL_TTL_SECONDS,
      downloadName: downloadNameOf(record),
    });
    data.url = url;
    text = url;
  }
  await writeAudit(deps.db, {
    tenantId,
    actor: deps.actor,
    action: 'export.download',
    target: `export:${exportId}`,
    details: { via: 'cli', file: opts.out ? 'written' : 'signed-url' },
  });
  return { code: 0, data, text };
}

export function registerExportCommands(program: Command, { run, io }: CommandContext): void {
  withJson(
    program
      .command('export <tenant> <ticketId>')
      .description(
        'export an archived ticket to PDF (workflow exportTicketPdf); write it to --out or print a signed URL',
      )
      .option('--out <file>', 'write the PDF here')
      .option(
        '--lang <lang>',
        `the document's language: ${PDF_LANGS.join(', ')} (default ${DEFAULT_PDF_LANG})`,
      )
      .option(
        '--redact <messageIds>',
        'comma-separated message ids to hide; the PDF still verifies (hidden ones as salted hashes with proofs)',
      )
      .option(
        '--redact-pattern <kinds>',
        `comma-separated kinds replaced in the text by a marker: ${PATTERN_KINDS.join(', ')}`,
      )
      .option(
        '--redact-regex <regex>',
        'a custom pattern replaced by [redacted: pattern] (repeatable, at most 10)',
        (v: string, prev: string[]) => [...prev, v],
        [] as string[],
      )
      .option('--redact-reason <text>', 'why they are hidden (printed in the PDF and audited)'),
  ).action((tenant: string, ticket: string, o: ExportOptions & { json?: boolean }) =>
    run((d) => exportCommand(d, io, tenant, ticket, o), Boolean(o.json)),
  );
}
