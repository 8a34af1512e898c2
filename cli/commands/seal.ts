import { WorkflowIdReusePolicy } from '@temporalio/client';
import type { Command } from 'commander';
import { resealWorkflowId, SEARCH_ATTRIBUTE, WORKFLOW } from '../../lib/temporal/contract';
import type { ResealProgress } from '../../workflows/reseal-tickets';
import type { CliDeps, CliIo } from '../context';
import {
  type CommandContext,
  type CommandResult,
  intOption,
  requireTenant,
  tenantArg,
  UsageError,
  waitWithProgress,
} from './common';

/**
 * `ticket-vault reseal <tenant>|--all [--wait]`: gives every ticket sealed with a v1 digest a v2
 * seal (workflow `resealTickets`, id `reseal/<tenant>` or `reseal/all`); the v1 digest is kept.
 */
export async function resealCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string | undefined,
  opts: { all?: boolean; wait?: boolean; pollMs?: number; batchSize?: number },
): Promise<CommandResult> {
  if ((tenant === undefined) === !opts.all) throw new UsageError('name one tenant or pass --all');
  const tenantId = tenant === undefined ? undefined : tenantArg(tenant);
  if (tenantId) await requireTenant(deps, tenantId, false);
  const temporal = await deps.temporal();
  const workflowId = resealWorkflowId(tenantId);
  const handle = await temporal.workflow.start(WORKFLOW.resealTickets, {
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    workflowId,
    args: [{ tenantId, batchSize: opts.batchSize }],
    // Running it again while it runs joins it; after it ended, it starts over (sealed tickets are skipped).
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    ...(tenantId ? { searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [tenantId] } } : {}),
  });
  const data: Record<string, unknown> = {
    workflowId,
    runId: handle.firstExecutionRunId,
    tenantId: tenantId ?? null,
  };
  if (!opts.wait) return { code: 0, data: { ...data, status: 'started' }, text: `${workflowId}: started` };
  const outcome = await waitWithProgress<ResealProgress>(
    io,
    handle,
    (p) => `reseal: ${p.resealed} re-sealed, ${p.failed} failed`,
    opts.pollMs,
  );
  if (!outcome.ok)
    return {
      code: 1,
      data: { ...data, status: 'failed', error: outcome.cause },
      text: `${workflowId}: failed: ${outcome.cause}`,
    };
  const r = outcome.r;
  return {
    code: r.failed > 0 ? 1 : 0,
    data: { ...data, status: 'done', progress: r },
    text: [
      `${workflowId}: done, ${r.resealed} tickets re-sealed as v2, ${r.failed} failed`,
      ...r.failures.map((f) => `FAILED ${f.tenantId}/${f.ticketId}: ${f.error}`),
    ].join('\n'),
  };
}

export function registerSealCommands(program: Command, { run, io, pollMs }: CommandContext): void {
  program
    .command('reseal [tenant]')
    .description(
      'seal v1 tickets (archived before seal v2) as v2, keeping their v1 digest; one tenant or --all',
    )
    .option('--all', 'every tenant')
    .option('--wait', 'show progress until done')
    .option('--batch-size <n>', 'tickets per activity call (default 100)')
    .option('--json', 'print the result as JSON on stdout')
    .action(
      (
        tenant: string | undefined,
        o: { all?: boolean; wait?: boolean; batchSize?: string; json?: boolean },
      ) =>
        run(
          (d) =>
            resealCommand(d, io, tenant, {
              all: o.all,
              wait: o.wait,
              pollMs,
              batchSize: intOption('batch-size', o.batchSize, 1, 500),
            }),
          Boolean(o.json),
        ),
    );
}
