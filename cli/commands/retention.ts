import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ensureRetentionSchedule } from '../../activities/retention-schedule';
import type { Db } from '../../lib/db/pool';
import {
  type HoldKind,
  type LegalHold,
  listLegalHolds,
  placeLegalHold,
  releaseLegalHold,
  setRetentionDays,
} from '../../lib/db/retention';
import { identityFingerprint } from '../../lib/retention/purge';
import {
  erasureWorkflowId,
  retentionWorkflowId,
  SEARCH_ATTRIBUTE,
  WORKFLOW,
} from '../../lib/temporal-contract';
import type { ApplyRetentionAllResult, EraseContactResult, RetentionTotals } from '../../workflows/retention';
import { UsageError } from './ops';

/**
 * Retention, legal hold and erasure commands, as plain functions the ops CLI registers
 * (`ticket-vault retention set|run|schedule`, `ticket-vault hold place|release|list`,
 * `ticket-vault erase`). Each takes what it needs (a pool, a Temporal client) and returns plain
 * data the CLI prints as text or `--json`.
 */
export interface RetentionCommandContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/** `retention set <tenant> <days|forever>` */
export async function setRetention(
  ctx: Pick<RetentionCommandContext, 'db'>,
  args: { tenantId: string; days: number | null; actor: string },
): Promise<{ tenantId: string; retentionDays: number | null }> {
  await setRetentionDays(ctx.db, args.tenantId, args.days, args.actor);
  return { tenantId: args.tenantId, retentionDays: args.days };
}

/** Parses `30`, `30d` or `forever`/`none` into days (null = forever). */
export function parseRetentionDays(text: string): number | null {
  if (/^(forever|none|off)$/i.test(text.trim())) return null;
  const m = /^(\d{1,6})d?$/.exec(text.trim());
  if (!m || Number(m[1]) < 1)
    throw new UsageError(`retention must be a number of days or "forever", not ${text}`);
  return Number(m[1]);
}

/** `hold place <tenant> ticket|contact <target> --reason …` */
export async function placeHold(
  ctx: Pick<RetentionCommandContext, 'db'>,
  args: { tenantId: string; kind: HoldKind; target: string; reason: string; createdBy: string },
): Promise<{ hold: LegalHold; created: boolean }> {
  return placeLegalHold(ctx.db, args);
}

/** `hold release <tenant> ticket|contact <target>`; `released: false` when no hold was active. */
export async function releaseHold(
  ctx: Pick<RetentionCommandContext, 'db'>,
  args: { tenantId: string; kind: HoldKind; target: string; releasedBy: string },
): Promise<{ released: boolean; hold: LegalHold | null }> {
  const hold = await releaseLegalHold(ctx.db, args);
  return { released: hold !== null, hold };
}

/** `hold list <tenant> [--all]` */
export async function listHolds(
  ctx: Pick<RetentionCommandContext, 'db'>,
  args: { tenantId: string; includeReleased?: boolean },
): Promise<LegalHold[]> {
  return listLegalHolds(ctx.db, args.tenantId, { includeReleased: args.includeReleased });
}

/**
 * `erase <tenant> <identity> --requested-by …`: starts the eraseContact workflow (a new request
 * each call; re-running one is harmless) and, with `wait`, returns its result.
 */
export async function startErasure(
  ctx: Omit<RetentionCommandContext, 'db'>,
  args: { tenantId: string; identity: string; requestedBy: string; requestId?: string; wait?: boolean },
): Promise<{ workflowId: string; result?: EraseContactResult }> {
  const workflowId = erasureWorkflowId(
    args.tenantId,
    identityFingerprint(args.tenantId, args.identity),
    args.requestId ?? randomUUID(),
  );
  const handle = await ctx.temporal.workflow.start(WORKFLOW.eraseContact, {
    taskQueue: ctx.taskQueue,
    workflowId,
    args: [{ tenantId: args.tenantId, identity: args.identity, requestedBy: args.requestedBy }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [args.tenantId] },
  });
  if (!args.wait) return { workflowId };
  return { workflowId, result: (await handle.result()) as EraseContactResult };
}

/**
 * `retention run [<tenant>]`: applies one tenant's retention now, or every tenant's (as the daily
 * schedule does). A run already going is joined, not duplicated.
 */
export async function startRetention(
  ctx: Omit<RetentionCommandContext, 'db'>,
  args: { tenantId?: string; wait?: boolean },
): Promise<{ workflowId: string; result?: RetentionTotals | ApplyRetentionAllResult }> {
  const workflowId = retentionWorkflowId(args.tenantId);
  const handle = await ctx.temporal.workflow.start(
    args.tenantId ? WORKFLOW.applyRetention : WORKFLOW.applyRetentionAll,
    {
      taskQueue: ctx.taskQueue,
      workflowId,
      args: args.tenantId ? [{ tenantId: args.tenantId }] : [],
      workflowIdConflictPolicy: 'USE_EXISTING',
      ...(args.tenantId ? { searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [args.tenantId] } } : {}),
    },
  );
  if (!args.wait) return { workflowId };
  return { workflowId, result: (await handle.result()) as RetentionTotals | ApplyRetentionAllResult };
}

/**
 * `retention schedule [--cron "17 3 * * *"]`: creates or updates the Temporal schedule that starts
 * applyRetentionAll (the worker also does this on start from RETENTION_CRON).
 */
export async function scheduleRetention(
  ctx: Omit<RetentionCommandContext, 'db'>,
  args: { cron: string },
): Promise<{ scheduleId: string; created: boolean }> {
  return ensureRetentionSchedule(ctx.temporal, { taskQueue: ctx.taskQueue, cron: args.cron });
}

type CliResult = { code: 0 | 1; data: unknown; text: string };
type CliRun = (
  action: (deps: {
    db: Db;
    temporal(): Promise<Client>;
    config: { TEMPORAL_TASK_QUEUE: string };
    actor: string;
  }) => Promise<CliResult>,
  json: boolean,
) => Promise<void>;

/** Adds `retention`, `hold` and `erase` to the ops CLI (commander, as cli/main.ts uses). */
export function registerRetentionCommands(program: import('commander').Command, run: CliRun): void {
  const j = { json: ['--json', 'print the result as JSON on stdout'] as const };
  const temporalCtx = async (d: Parameters<Parameters<CliRun>[0]>[0]) => ({
    temporal: await d.temporal(),
    taskQueue: d.config.TEMPORAL_TASK_QUEUE,
  });
  const retention = program.command('retention').description('per-tenant retention (default: forever)');
  retention
    .command('set <tenant> <days>')
    .description('keep archived tickets this many days after they close ("forever" to keep everything)')
    .option(...j.json)
    .action((tenant: string, days: string, o: { json?: boolean }) =>
      run(async (d) => {
        const r = await setRetention(d, { tenantId: tenant, days: parseRetentionDays(days), actor: d.actor });
        return {
          code: 0,
          data: r,
          text: `${tenant}: retention ${r.retentionDays ?? 'forever'}${r.retentionDays ? ' days' : ''}`,
        };
      }, Boolean(o.json)),
    );
  retention
    .command('run [tenant]')
    .description('apply retention now (one tenant, or every tenant as the daily schedule does) and wait')
    .option(...j.json)
    .action((tenant: string | undefined, o: { json?: boolean }) =>
      run(async (d) => {
        const r = await startRetention(await temporalCtx(d), { tenantId: tenant, wait: true });
        return { code: 0, data: r, text: `${r.workflowId}: ${JSON.stringify(r.result)}` };
      }, Boolean(o.json)),
    );
  retention
    .command('schedule')
    .description('create or update the Temporal schedule that applies retention to every tenant')
    .option('--cron <expr>', 'cron expression (UTC)', '17 3 * * *')
    .option(...j.json)
    .action((o: { cron: string; json?: boolean }) =>
      run(async (d) => {
        const r = await scheduleRetention(await temporalCtx(d), { cron: o.cron });
        return { code: 0, data: r, text: `schedule ${r.scheduleId} ${r.created ? 'created' : 'updated'}` };
      }, Boolean(o.json)),
    );

  const hold = program
    .command('hold')
    .description('legal holds on a ticket or a contact (block retention and erasure)');
  const kindOf = (kind: string): HoldKind => {
    if (kind !== 'ticket' && kind !== 'contact') throw new UsageError('kind must be ticket or contact');
    return kind;
  };
  hold
    .command('place <tenant> <kind> <target>')
    .description('place a hold; kind is ticket (target: ticket id) or contact (target: identity)')
    .requiredOption('--reason <text>', 'why (case number, request)')
    .option(...j.json)
    .action((tenant: string, kind: string, target: string, o: { reason: string; json?: boolean }) =>
      run(async (d) => {
        const r = await placeHold(d, {
          tenantId: tenant,
          kind: kindOf(kind),
          target,
          reason: o.reason,
          createdBy: d.actor,
        });
        return {
          code: 0,
          data: r,
          text: `hold ${r.hold.holdId} on ${kind} ${target}${r.created ? '' : ' (already held)'}`,
        };
      }, Boolean(o.json)),
    );
  hold
    .command('release <tenant> <kind> <target>')
    .description('release the active hold on a ticket or contact')
    .option(...j.json)
    .action((tenant: string, kind: string, target: string, o: { json?: boolean }) =>
      run(async (d) => {
        const r = await releaseHold(d, { tenantId: tenant, kind: kindOf(kind), target, releasedBy: d.actor });
        return {
          code: r.released ? 0 : 1,
          data: r,
          text: r.released ? `released hold ${r.hold?.holdId}` : 'no active hold',
        };
      }, Boolean(o.json)),
    );
  hold
    .command('list <tenant>')
    .description('active holds (--all: released ones too)')
    .option('--all', 'include released holds')
    .option(...j.json)
    .action((tenant: string, o: { all?: boolean; json?: boolean }) =>
      run(async (d) => {
        const r = await listHolds(d, { tenantId: tenant, includeReleased: Boolean(o.all) });
        const text = r.map(
          (h) => `${h.holdId}\t${h.kind}\t${h.target}\t${h.releasedAt ? 'released' : 'active'}\t${h.reason}`,
        );
        return { code: 0, data: r, text: text.join('\n') || 'no holds' };
      }, Boolean(o.json)),
    );

  program
    .command('erase <tenant> <identity>')
    .description(
      'data-protection erasure of one contact everywhere (held tickets are refused and listed); waits',
    )
    .option(...j.json)
    .action((tenant: string, identity: string, o: { json?: boolean }) =>
      run(async (d) => {
        const r = await startErasure(await temporalCtx(d), {
          tenantId: tenant,
          identity,
          requestedBy: d.actor,
          wait: true,
        });
        const res = r.result;
        const held = res?.heldTicketIds.length ?? 0;
        return {
          code: 0,
          data: r,
          text: `${r.workflowId}: erased ${res?.tickets} tickets, ${res?.messages} messages, ${res?.media} media, ${res?.exports} exports; ${held} held${res?.contactHeld ? ' (contact on hold)' : ''}`,
        };
      }, Boolean(o.json)),
    );
}
