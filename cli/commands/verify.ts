import type { Command } from 'commander';
import { verifyTicket } from '../../lib/integrity/verify';
import type { CliDeps, CliIo } from '../context';
import {
  type CommandContext,
  type CommandResult,
  progressLine,
  requireTenant,
  tenantArg,
  ticketArg,
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
  const results: Array<{
    ticketId: string;
    ok: boolean;
    digest: string | null;
    sealedDigest: string | null;
    problems: string[];
  }> = [];
  for (const [i, ticketId] of ids.entries()) {
    if (ids.length > 1) line.update(`verify: ${i + 1}/${ids.length}`);
    const r = await verifyTicket(deps.db, deps.store, tenantId, ticketId);
    results.push(
      r
        ? { ticketId, ...r }
        : { ticketId, ok: false, digest: null, sealedDigest: null, problems: ['not archived'] },
    );
  }
  line.end();
  const bad = results.filter((r) => !r.ok);
  const text = [
    `${tenantId}: ${results.length} checked, ${results.length - bad.length} ok, ${bad.length} mismatched`,
    ...bad.map(
      (r) => `MISMATCH ${r.ticketId}: ${r.problems.join('; ') || 'digest differs from the sealed one'}`,
    ),
  ].join('\n');
  return {
    code: bad.length > 0 ? 1 : 0,
    data: {
      tenantId,
      checked: results.length,
      ok: results.length - bad.length,
      mismatched: bad.length,
      results,
    },
    text,
  };
}

export function registerVerifyCommands(program: Command, { run, io }: CommandContext): void {
  withJson(
    program
      .command('verify <tenant> [ticketId]')
      .description(
        'recompute digests from the stored bytes (one ticket or all of the tenant); exit 1 on any mismatch',
      ),
  ).action((tenant: string, ticket: string | undefined, o: { json?: boolean }) =>
    run((d) => verifyCommand(d, io, tenant, ticket), Boolean(o.json)),
  );
}
