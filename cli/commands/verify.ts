import fs from 'node:fs';
import type { Command } from 'commander';
import { comparePdfWithArchive, PdfCompareError } from '../../lib/integrity/pdf-compare';
import { type VerifyResult, verifyTenantChain, verifyTicket } from '../../lib/integrity/verify';
import { checkPdfSignature } from '../../lib/pdf/signature';
import type { CliDeps, CliIo } from '../context';
import {
  type CommandContext,
  type CommandResult,
  progressLine,
  requireTenant,
  tenantArg,
  ticketArg,
  UsageError,
  withJson,
} from './common';

/** `verify <tenant> [ticket]`: recompute seals from the stored bytes. */

export async function verifyCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string,
  ticket: string | undefined,
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  let ids: string[];
  if (ticket !== undefined) ids = [ticketArg(ticket)];
  else {
    await requireTenant(deps, tenantId, false);
    const { rows } = await deps.db.query<{ ticket_id: string }>(
      'select ticket_id from tickets where tenant_id = $1 and archived_at is not null order by ticket_id',
      [tenantId],
    );
    ids = rows.map((r) => r.ticket_id);
  }
  const line = progressLine(io);
  const results: Array<
    { ticketId: string } & Omit<VerifyResult, 'digest' | 'version'> & {
        digest: string | null;
        version: number | null;
      }
  > = [];
  for (const [i, ticketId] of ids.entries()) {
    if (ids.length > 1) line.update(`verify: ${i + 1}/${ids.length}`);
    const r = await verifyTicket(deps.db, deps.store, tenantId, ticketId, deps.sealKeys);
    results.push(
      r
        ? { ticketId, ...r }
        : {
            ticketId,
            ok: false,
            version: null,
            digest: null,
            sealedDigest: null,
            sealId: null,
            sealedAt: null,
            keyId: null,
            problems: [{ kind: 'digest', message: 'not archived' }],
          },
    );
  }
  line.end();
  // The whole tenant's chain when every ticket is checked: a seal deleted anywhere breaks it.
  const chain =
    ticket === undefined ? await verifyTenantChain(deps.db, tenantId, await deps.sealKeys()) : null;
  const bad = results.filter((r) => !r.ok);
  const chainBroken = (chain?.problems.length ?? 0) > 0;
  const text = [
    `${tenantId}: ${results.length} checked, ${results.length - bad.length} ok, ${bad.length} mismatched`,
    ...(chain
      ? [`seal chain: ${chain.seals} seals, ${chainBroken ? `${chain.problems.length} problems` : 'intact'}`]
      : []),
    ...bad.map(
      (r) =>
        `MISMATCH ${r.ticketId}: ${r.problems.map((p) => p.message).join('; ') || 'digest differs from the sealed one'}`,
    ),
    ...(chain?.problems ?? []).map((p) => `CHAIN ${p.message}`),
  ].join('\n');
  return {
    code: bad.length > 0 || chainBroken ? 1 : 0,
    data: {
      tenantId,
      checked: results.length,
      ok: results.length - bad.length,
      mismatched: bad.length,
      results,
      ...(chain ? { chain } : {}),
    },
    text,
  };
}

const show = (v: unknown) => {
  const t = JSON.stringify(v ?? null);
  return t.length > 100 ? `${t.slice(0, 97)}…` : t;
};

/**
 * `verify <tenant> <ticket> --pdf <file>`: a PDF exported earlier against the archive now. Names
 * every field whose value in the PDF's seal differs from what is stored today (a change made
 * after the export), and whether the PDF's seal is still in the chain or has newer seals.
 */
export async function verifyPdfAgainstArchive(
  deps: CliDeps,
  tenant: string,
  ticket: string,
  file: string,
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  const ticketId = ticketArg(ticket);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let r: Awaited<ReturnType<typeof comparePdfWithArchive>>;
  try {
    r = await comparePdfWithArchive(deps.db, deps.store, tenantId, ticketId, bytes, await deps.sealKeys());
  } catch (err) {
    if (err instanceof PdfCompareError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
  const signature = checkPdfSignature(bytes);
  const lines: string[] = [];
  if (signature.status !== 'valid')
    lines.push(
      `✗ PDF signature: ${signature.status === 'none' ? 'the file is not signed' : signature.problem}`,
    );
  for (const p of r.pdfProblems) lines.push(`✗ the PDF's seal: ${p.what}: ${p.detail}`);
  if (!r.archived) lines.push(`✗ ticket ${ticketId} is no longer archived`);
  if (!r.pdfSealInArchive)
    lines.push(`✗ the PDF's seal ${r.pdfSealId} is not among the ticket's seals any more`);
  if (r.newerSeals.length > 0)
    lines.push(
      `! ${r.newerSeals.length} seal(s) appended after the PDF's (latest ${r.latestSealId}): the ticket was re-archived with changed content`,
    );
  for (const d of r.differences)
    lines.push(
      `✗ ${d.messageId ? `message ${d.messageId}` : 'ticket'} ${d.field}: in the PDF ${show(d.sealed)}, in the archive now ${show(d.found)}`,
    );
  const ok = lines.every((l) => !l.startsWith('✗'));
  return {
    code: ok ? 0 : 1,
    data: {
      tenantId,
      file,
      ok,
      pdfSignature: signature.status,
      ...r,
    },
    text: [
      `${ok ? 'SAME' : 'DIFFERS'}: ${file} (seal ${r.pdfSealId}) against the archive now, ticket ${ticketId}`,
      ...(ok ? ['✓ every sealed field in the PDF equals what the archive stores now'] : []),
      ...lines,
    ].join('\n'),
  };
}

export function registerVerifyCommands(program: Command, { run, io }: CommandContext): void {
  withJson(
    program
      .command('verify <tenant> [ticketId]')
      .description(
        'recompute digests from the stored bytes (one ticket or all of the tenant); exit 1 on any mismatch',
      )
      .option(
        '--pdf <file>',
        'compare a PDF exported earlier with the archive now, naming every field that changed since (needs <ticketId>)',
      ),
  ).action((tenant: string, ticket: string | undefined, o: { json?: boolean; pdf?: string }) => {
    if (o.pdf !== undefined) {
      if (ticket === undefined) throw new UsageError('--pdf needs a <ticketId>');
      const file = o.pdf;
      return run((d) => verifyPdfAgainstArchive(d, tenant, ticket, file), Boolean(o.json));
    }
    return run((d) => verifyCommand(d, io, tenant, ticket), Boolean(o.json));
  });
}
