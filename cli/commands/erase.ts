import type { Command } from 'commander';
import { startErasure as start } from '../../lib/temporal/retention-starter';
import type { EraseContactResult } from '../../workflows/retention';
import type { CliDeps } from '../context';
import type { CommandContext } from './common';

/** `erase <tenant> <identity>`: data-protection erasure of one contact (workflow eraseContact). */
export const startErasure = (ctx: Parameters<typeof start>[0], args: Parameters<typeof start>[1]) =>
  start<EraseContactResult>(ctx, args);

export function registerEraseCommands(program: Command, { run }: CommandContext): void {
  const temporalCtx = async (d: CliDeps) => ({
    temporal: await d.temporal(),
    taskQueue: d.config.TEMPORAL_TASK_QUEUE,
    box: d.box,
    db: d.db,
  });
  program
    .command('erase <tenant> <identity>')
    .description(
      'data-protection erasure of one contact everywhere (held tickets are refused and listed); waits',
    )
    .option('--json', 'print the result as JSON on stdout')
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
