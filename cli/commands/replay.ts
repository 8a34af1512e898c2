import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type CommandContext, type CommandResult, UsageError } from './common';

/**
 * `replay <history.json>`: replays a workflow history (from `temporal workflow show --output json`
 * or the Web UI's download) against this installation's workflow code. Not deterministic for that
 * history → exit 1 with the reason (the runbook's check before deploying a workflow change).
 */
export async function replayCommand(file: string): Promise<CommandResult> {
  const resolved = path.resolve(file);
  let history: unknown;
  try {
    history = JSON.parse(fs.readFileSync(resolved, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read a workflow history from ${file}: ${(err as Error).message}`);
  }
  // Loaded on use: the worker SDK is heavy and only this command needs it.
  const { Worker } = await import('@temporalio/worker');
  try {
    await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history);
  } catch (err) {
    const reason = (err as Error).message;
    return { code: 1, data: { file, deterministic: false, reason }, text: `replay failed: ${reason}` };
  }
  return { code: 0, data: { file, deterministic: true }, text: `replayed ${file}: deterministic` };
}

export function registerReplayCommands(program: Command, { runOffline }: CommandContext): void {
  program
    .command('replay <history>')
    .description(
      'replay a workflow history JSON against the current workflow code (exit 1: not deterministic)',
    )
    .option('--json', 'print the result as JSON on stdout')
    .action((file: string, o: { json?: boolean }) => runOffline(() => replayCommand(file), Boolean(o.json)));
}
