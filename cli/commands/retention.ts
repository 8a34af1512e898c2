import type { Command } from 'commander';
import { setRetentionDays } from '../../lib/db/retention';
import { ensureRetentionSchedule } from '../../lib/temporal/retention-schedule';
import { startRetention } from '../../lib/temporal/retention-starter';
import type { CliDeps } from '../context';
import { type CommandContext, type TemporalCommandContext, UsageError } from './common';

/**
 * `retention set|run|schedule`: how long a tenant's archive is kept, applied now or daily by a
 * Temporal schedule. Each command is a plain function the tests can call.
 */
/** `retention set <tenant> <days|forever>` */
export async function setRetention(
  ctx: Pick<CliDeps, 'db'>,
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

export { startRetention };

/**
 * `retention schedule [--cron "17 3 * * *"]`: creates or updates the Temporal schedule that starts
 * applyRetentionAll (the worker also does this on start from RETENTION_CRON).
 */
export async function scheduleRetention(
  ctx: TemporalCommandContext,
  args: { cron: string },
): Promise<{ scheduleId: string; created: boolean }> {
  return ensureRetentionSchedule(ctx.temporal, { taskQueue: ctx.taskQueue, cron: args.cron });
}

export function registerRetentionCommands(program: Command, { run }: CommandContext): void {
  const temporalCtx = async (d: CliDeps) => ({
    temporal: await d.temporal(),
    taskQueue: d.config.TEMPORAL_TASK_QUEUE,
  });
  const retention = program.command('retention').description('per-tenant retention (default: forever)');
  retention
    .command('set <tenant> <days>')
    .description('keep archived tickets this many days after they close ("forever" to keep everything)')
    .option('--json', 'print the result as JSON on stdout')
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
    .option('--json', 'print the result as JSON on stdout')
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
    .option('--json', 'print the result as JSON on stdout')
    .action((o: { cron: string; json?: boolean }) =>
      run(async (d) => {
        const r = await scheduleRetention(await temporalCtx(d), { cron: o.cron });
        return { code: 0, data: r, text: `schedule ${r.scheduleId} ${r.created ? 'created' : 'updated'}` };
      }, Boolean(o.json)),
    );
}
