import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../lib/config';
import { registerArchiveCommands } from './commands/archive';
import { type CliRun, type CommandContext, type CommandResult, UsageError } from './commands/common';
import { registerDbCommands } from './commands/db';
import { registerEraseCommands } from './commands/erase';
import { registerExportCommands } from './commands/export';
import { registerExtractTextCommands } from './commands/extract-text';
import { registerHoldCommands } from './commands/hold';
import { registerReindexCommands } from './commands/reindex';
import { registerReplayCommands } from './commands/replay';
import { registerRetentionCommands } from './commands/retention';
import { registerSealCommands } from './commands/seal';
import { registerSecretCommands } from './commands/secrets';
import { registerTenantCommands } from './commands/tenants';
import { registerVerifyCommands } from './commands/verify';
import { registerVerifyPdfCommands } from './commands/verify-pdf';
import { type CliDeps, type CliIo, createCliDeps, processIo } from './context';

/**
 * `npx ticket-vault <command>`: the operators' CLI. Configured from the environment like the API
 * and worker (lib/config.ts). Exit codes: 0 ok, 1 a failure found or the operation failed,
 * 2 usage error. `--json` prints the result as JSON on stdout; progress goes to stderr.
 */
export interface RunOptions {
  io?: CliIo;
  /** Injected by tests; otherwise built from the environment on the first command that needs it. */
  deps?: CliDeps;
  env?: NodeJS.ProcessEnv;
  /** --wait polling interval. */
  pollMs?: number;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function buildProgram(
  run: CliRun,
  runOffline: CommandContext['runOffline'],
  io: CliIo,
  pollMs?: number,
) {
  const program = new Command('ticket-vault')
    .description('ticket-vault operations: tenants, archive, backfill, reindex, verify, export')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  const ctx: CommandContext = { run, runOffline, io, pollMs };
  registerTenantCommands(program, ctx);
  registerArchiveCommands(program, ctx);
  registerReindexCommands(program, ctx);
  registerExtractTextCommands(program, ctx);
  registerVerifyCommands(program, ctx);
  registerVerifyPdfCommands(program, ctx);
  registerExportCommands(program, ctx);
  registerRetentionCommands(program, ctx);
  registerHoldCommands(program, ctx);
  registerEraseCommands(program, ctx);
  registerReplayCommands(program, ctx);
  registerSealCommands(program, ctx);
  registerSecretCommands(program, ctx);
  registerDbCommands(program, ctx);
  return program;
}

/** Runs one command line; returns the exit code (never calls process.exit). */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  let deps = options.deps ?? null;
  const owned = !options.deps;
  let code: number = EXIT.ok;
  const print = (result: CommandResult, json: boolean) => {
    io.out(json ? `${JSON.stringify(result.data, null, 2)}\n` : `${result.text}\n`);
    code = result.code;
  };
  const program = buildProgram(
    async (action, json) => {
      if (!deps) deps = await createCliDeps(loadConfig(options.env ?? process.env));
      print(await action(deps), json);
    },
    async (action, json) => print(await action(), json),
    io,
    options.pollMs,
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (argv.length === 0) {
      io.err(program.helpInformation());
      return EXIT.usage;
    }
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
        ? EXIT.ok
        : EXIT.usage;
    }
    if (err instanceof UsageError) {
      io.err(`ticket-vault: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.err(`ticket-vault: ${err.message}\n`);
      return EXIT.usage;
    }
    io.err(`ticket-vault: ${(err as Error).message}\n`);
    return EXIT.failed;
  } finally {
    if (owned && deps) await (deps as CliDeps).close();
  }
}

export function main(argv: string[]): Promise<number> {
  return runCli(argv);
}
