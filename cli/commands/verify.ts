import type { Command } from 'commander';
import { type VerifyResult, verifyTenantChain, verifyTicket } from '../../lib/integrity/verify';
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
