import type { Command } from 'commander';
import { outdatedCollections } from '../../lib/search/migrate';
import { startReindex } from '../../lib/temporal/reindex-starter';
import type { ReindexProgress } from '../../workflows/reindex-search';
import type { CliDeps, CliIo } from '../context';
import {
  type CommandContext,
  type CommandResult,
  intOption,
  requireTenant,
  tenantArg,
  type WaitOptions,
  waitWithProgress,
  withJson,
} from './common';

/** `reindex [tenant]`: rebuild the derived search index from Postgres. */

const reindexLine = (p: ReindexProgress) =>
  `reindex: ${p.phase}, ${p.tickets} tickets, ${p.messages} messages${p.next ? ` → ${p.next.tickets}` : ''}`;

export async function reindexCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string | undefined,
  opts: WaitOptions & { batchSize?: number; ifEmpty?: boolean },
): Promise<CommandResult> {
  const tenantId = tenant === undefined ? undefined : tenantArg(tenant);
  if (tenantId) await requireTenant(deps, tenantId, false);
  if (opts.ifEmpty) {
    const { rows } = await deps.db.query<{ n: number }>(
      `select count(*)::int as n from tickets where archived_at is not null and ($1::text is null or tenant_id = $1)`,
      [tenantId ?? null],
    );
    const indexed = await deps.search
      .collections(deps.collections.tickets)
      .retrieve()
      .then((c) => (c as { num_documents: number }).num_documents)
      .catch(() => 0);
    const archived = rows[0]?.n ?? 0;
    // Collections from an older version (e.g. without tenant_key, or an empty recent-messages one
    // beside filled messages) are rebuilt even when full.
    const outdated = tenantId
      ? []
      : await outdatedCollections(deps.search, deps.collections, deps.config.SEARCH_TEXT_DEFAULT_MONTHS);
    if ((archived === 0 || indexed > 0) && outdated.length === 0) {
      return {
        code: 0,
        data: { status: 'skipped', archived, indexed },
        text: `reindex skipped: ${indexed} tickets in the index, ${archived} archived in Postgres`,
      };
    }
  }
  const temporal = await deps.temporal();
  const handle = await startReindex(temporal, deps.config.TEMPORAL_TASK_QUEUE, {
    tenantId,
    batchSize: opts.batchSize,
  });
  const workflowId = handle.workflowId;
  const data: Record<string, unknown> = {
    workflowId,
    runId: handle.firstExecutionRunId,
    tenantId: tenantId ?? null,
  };
  if (!opts.wait) {
    return { code: 0, data: { ...data, status: 'started' }, text: `${workflowId}: started` };
  }
  const outcome = await waitWithProgress<ReindexProgress>(io, handle, reindexLine, opts.pollMs);
  if (!outcome.ok) {
    const cause = outcome.cause;
    return {
      code: 1,
      data: { ...data, status: 'failed', error: cause },
      text: `${workflowId}: failed: ${cause}`,
    };
  }
  return {
    code: 0,
    data: { ...data, status: 'done', progress: outcome.r },
    text: `${workflowId}: done, ${outcome.r.tickets} tickets, ${outcome.r.messages} messages reindexed`,
  };
}

export function registerReindexCommands(program: Command, { run, io, pollMs }: CommandContext): void {
  withJson(
    program
      .command('reindex [tenant]')
      .description(
        'rebuild Typesense from Postgres: all (new versioned collections, alias swap, no downtime) or one tenant (upserts)',
      )
      .option('--wait', 'show progress until done')
      .option(
        '--if-empty',
        'only when the search index is empty and Postgres holds archived tickets (after a Typesense restart), or it was built by an older version (after an upgrade)',
      )
      .option('--batch-size <n>', 'tickets per activity call (default 200)'),
  ).action(
    (
      tenant: string | undefined,
      o: { json?: boolean; wait?: boolean; ifEmpty?: boolean; batchSize?: string },
    ) =>
      run(
        (d) =>
          reindexCommand(d, io, tenant, {
            wait: o.wait,
            ifEmpty: o.ifEmpty,
            pollMs,
            batchSize: intOption('batch-size', o.batchSize, 1, 10_000),
          }),
        Boolean(o.json),
      ),
  );
}
