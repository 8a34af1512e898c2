import type { Command } from 'commander';
import {
  messagesLayout,
  PartitioningRefused,
  partitioningStatus,
  partitionMessages,
} from '../../lib/db/partition-messages';
import type { CliDeps, CliIo } from '../context';
import { type CommandContext, type CommandResult, intOption, withJson } from './common';

/**
 * `db partition-messages`: the online half of migration 014 for installations whose `messages`
 * was too large to convert during a deploy (lib/db/partition-messages.ts, docs/operations.md).
 */

export async function partitionMessagesCommand(
  deps: CliDeps,
  io: CliIo,
  opts: { batchSize?: number; lockTimeoutMs?: number },
): Promise<CommandResult> {
  const layout = await messagesLayout(deps.db);
  if (layout.partitioned) {
    // The goal already holds (the migration converted a small table, or an earlier run finished).
    return {
      code: 0,
      data: { status: 'already-partitioned', partitions: layout.partitions },
      text: `messages is already partitioned (${layout.partitions} hash partitions by tenant_id); nothing to do`,
    };
  }
  const before = await partitioningStatus(deps.db);
  io.err(
    before === 'copying'
      ? 'partition-messages: resuming the copy where the last run stopped\n'
      : 'partition-messages: copying messages into 16 hash partitions by tenant_id (writes go on)\n',
  );
  try {
    const r = await partitionMessages(deps.db, {
      batchSize: opts.batchSize,
      lockTimeoutMs: opts.lockTimeoutMs,
      onProgress: (p) => {
        const line = `partition-messages: ${p.copied} rows copied by this run, at tenant ${p.tenantId}`;
        io.err(io.tty ? `\r${line}` : `${line}\n`);
      },
    });
    if (io.tty) io.err('\n');
    if (r.status === 'already-partitioned')
      return {
        code: 0,
        data: r,
        text: `messages is already partitioned (${r.partitions} hash partitions by tenant_id); nothing to do`,
      };
    return {
      code: 0,
      data: r,
      text: `messages partitioned: ${r.rows} rows in ${r.partitions} hash partitions by tenant_id (${r.copied} copied in batches, ${r.caughtUp} re-copied under the lock); media's foreign key validated`,
    };
  } catch (err) {
    if (err instanceof PartitioningRefused)
      return { code: 1, data: { status: 'refused', error: err.message }, text: `refused: ${err.message}` };
    throw err;
  }
}

export function registerDbCommands(program: Command, { run, io }: CommandContext): void {
  const db = program.command('db').description('database maintenance');
  withJson(
    db
      .command('partition-messages')
      .description(
        'convert messages to 16 hash partitions by tenant (when migration 014 left it pending): online batched copy, resumable, a short lock for the swap',
      )
      .option('--batch-size <n>', 'rows per copy transaction (default 50000)')
      .option(
        '--lock-timeout <seconds>',
        'how long the swap waits for its lock before retrying (default 30)',
      ),
  ).action((o: { json?: boolean; batchSize?: string; lockTimeout?: string }) =>
    run(
      (d) =>
        partitionMessagesCommand(d, io, {
          batchSize: intOption('batch-size', o.batchSize, 1, 1_000_000),
          lockTimeoutMs: (intOption('lock-timeout', o.lockTimeout, 1, 3600) ?? 30) * 1000,
        }),
      Boolean(o.json),
    ),
  );
}
