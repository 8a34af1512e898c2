import type { Command } from 'commander';
import { isTicketArchived } from '../../lib/db/tickets';
import { ticketState } from '../../lib/db/webhook-checks';
import {
  type ArchiveStatus,
  createArchiveStarter,
  startOrJoinArchive,
} from '../../lib/temporal/archive-starter';
import { startBackfill } from '../../lib/temporal/backfill-starter';
import { archiveWorkflowId } from '../../lib/temporal/contract';
import type { BackfillProgress } from '../../workflows/backfill-tenant';
import type { CliDeps, CliIo } from '../context';
import {
  type CommandContext,
  type CommandResult,
  dateArg,
  intOption,
  queryProgress,
  requireTenant,
  tenantArg,
  ticketArg,
  UsageError,
  type WaitOptions,
  waitWithProgress,
  withJson,
} from './common';

/** `archive` (one ticket) and `backfill` (a date range of a tenant's closed tickets). */
export async function archiveCommand(
  deps: CliDeps,
  tenant: string,
  ticket: string,
  opts: { force?: boolean; wait?: boolean },
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  const ticketId = ticketArg(ticket);
  await requireTenant(deps, tenantId, true);
  const temporal = await deps.temporal();
  const taskQueue = deps.config.TEMPORAL_TASK_QUEUE;
  const workflowId = archiveWorkflowId(tenantId, ticketId);
  let status: ArchiveStatus;
  if (opts.force) {
    // Same id: a closed run may run again (ALLOW_DUPLICATE); a running one is joined.
    status = await startOrJoinArchive(temporal, taskQueue, tenantId, ticketId, `ops CLI (${deps.actor})`);
  } else {
    const start = createArchiveStarter(
      temporal,
      taskQueue,
      (t, id) => ticketState(deps.db, deps.box, t, id),
      (t, id) => isTicketArchived(deps.db, t, id),
    );
    status = (await start(tenantId, ticketId)).status;
  }
  const data: Record<string, unknown> = { workflowId, tenantId, ticketId, status };
  let text = `${workflowId}: ${status}${status === 'archived' ? ' (already archived; --force re-runs it)' : ''}`;
  if (opts.wait && status !== 'archived' && status !== 'erased') {
    try {
      const result = await temporal.workflow.getHandle(workflowId).result();
      Object.assign(data, { status: 'archived', result });
      text = `${workflowId}: archived, ${result.messageCount} messages, ${result.mediaStored} media stored, digest ${result.digest}`;
    } catch (err) {
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      Object.assign(data, { status: 'failed', error: cause });
      return { code: 1, data, text: `${workflowId}: failed: ${cause}` };
    }
  }
  return { code: 0, data, text };
}

export const backfillLine = (p: BackfillProgress) =>
  `backfill: listed ${p.listed}, skipped ${p.skipped}, started ${p.started}, archived ${p.archived}, failed ${p.failed}` +
  `${p.joined ? `, joined ${p.joined}` : ''}${p.done ? ' — done' : ''}`;

export async function backfillCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string,
  opts: WaitOptions & {
    from: string;
    to: string;
    pageSize?: number;
    concurrency?: number;
    continueAsNewEvery?: number;
  },
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  const from = dateArg('from', opts.from);
  const to = dateArg('to', opts.to);
  if (from > to) throw new UsageError('--from is after --to');
  await requireTenant(deps, tenantId, true);
  const temporal = await deps.temporal();
  const { workflowId, status } = await startBackfill(temporal, deps.config.TEMPORAL_TASK_QUEUE, {
    tenantId,
    from,
    to,
    pageSize: opts.pageSize,
    concurrency: opts.concurrency,
    continueAsNewEvery: opts.continueAsNewEvery,
  });
  const handle = temporal.workflow.getHandle(workflowId);
  let progress: BackfillProgress | null = null;
  if (status === 'completed') progress = await handle.result();
  else if (opts.wait) {
    const outcome = await waitWithProgress<BackfillProgress>(io, handle, backfillLine, opts.pollMs);
    if (!outcome.ok) {
      const cause = outcome.cause;
      return {
        code: 1,
        data: { workflowId, status: 'failed', error: cause },
        text: `${workflowId}: failed: ${cause}`,
      };
    }
    progress = outcome.r;
  } else progress = await queryProgress<BackfillProgress>(handle);
  const data = { workflowId, tenantId, from, to, status, progress };
  const text = `${workflowId}: ${status}${progress ? `\n${backfillLine(progress)}` : ''}`;
  return { code: progress?.done && progress.failed > 0 ? 1 : 0, data, text };
}

export function registerArchiveCommands(program: Command, { run, io, pollMs }: CommandContext): void {
  withJson(
    program
      .command('archive <tenant> <ticketId>')
      .description(
        'archive one ticket now (workflow archive/<tenant>/<ticket>); an archived one only with --force',
      )
      .option('--force', 're-run even when Postgres holds the ticket as archived')
      .option('--wait', 'wait for the archive to finish'),
  ).action((tenant: string, ticket: string, o: { json?: boolean; force?: boolean; wait?: boolean }) =>
    run((d) => archiveCommand(d, tenant, ticket, o), Boolean(o.json)),
  );

  withJson(
    program
      .command('backfill <tenant>')
      .description(
        "archive the tenant's closed tickets Blip still lists in a date range (workflow backfill/<tenant>/<from>/<to>; re-run to resume or see it)",
      )
      .requiredOption('--from <date>', 'first storage date (2025-03-01 or ISO date-time)')
      .requiredOption('--to <date>', 'last storage date (a bare day covers all of it)')
      .option('--wait', 'show progress until done')
      .option('--concurrency <n>', 'archives at once (default 10)')
      .option('--page-size <n>', 'tickets per Blip listing page (default 50)')
      .option(
        '--continue-as-new-every <n>',
        'tickets per workflow run before continuing as new (default 500)',
      ),
  ).action(
    (
      tenant: string,
      o: {
        json?: boolean;
        from: string;
        to: string;
        wait?: boolean;
        concurrency?: string;
        pageSize?: string;
        continueAsNewEvery?: string;
      },
    ) =>
      run(
        (d) =>
          backfillCommand(d, io, tenant, {
            from: o.from,
            to: o.to,
            wait: o.wait,
            pollMs,
            concurrency: intOption('concurrency', o.concurrency, 1, 100),
            pageSize: intOption('page-size', o.pageSize, 1, 100),
            continueAsNewEvery: intOption('continue-as-new-every', o.continueAsNewEvery, 1, 100_000),
          }),
        Boolean(o.json),
      ),
  );
}
