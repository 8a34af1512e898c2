import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../lib/config';
import {
  archiveCommand,
  backfillCommand,
  type CommandResult,
  exportCommand,
  intOption,
  reindexCommand,
  tenantsAllow,
  tenantsDisable,
  tenantsList,
  tenantsSetCommandsUrl,
  UsageError,
  verifyCommand,
} from './commands/ops';
import { registerRetentionCommands } from './commands/retention';
import { registerSecretCommands } from './commands/secrets';
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
  run: (action: (deps: CliDeps) => Promise<CommandResult>, json: boolean) => Promise<void>,
  io: CliIo,
  pollMs?: number,
) {
  const program = new Command('ticket-vault')
    .description('ticket-vault operations: tenants, archive, backfill, reindex, verify, export')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const json = (cmd: Command) => cmd.option('--json', 'print the result as JSON on stdout');

  const tenants = program
    .command('tenants')
    .description('list, allow, disable tenants (bots) and set their Blip URL');
  json(
    tenants.command('list').description('every tenant with its status, allowlist state and archived count'),
  ).action((o: { json?: boolean }) => run((d) => tenantsList(d), Boolean(o.json)));
  json(
    tenants
      .command('allow <bot>')
      .description(
        'put a bot on the database allowlist (before its first webhook) or re-enable a disabled one; the first allow turns the allowlist on and allows every existing tenant with it',
      ),
  ).action((bot: string, o: { json?: boolean }) => run((d) => tenantsAllow(d, bot), Boolean(o.json)));
  json(
    tenants
      .command('disable <bot>')
      .description("refuse the bot's webhooks (403) and start no archive for it; its archive stays readable"),
  ).action((bot: string, o: { json?: boolean }) => run((d) => tenantsDisable(d, bot), Boolean(o.json)));
  json(
    tenants
      .command('set-commands-url <bot> <url>')
      .description('the Blip commands URL used for this tenant ("default" = BLIP_API_URL)'),
  ).action((bot: string, url: string, o: { json?: boolean }) =>
    run((d) => tenantsSetCommandsUrl(d, bot, url), Boolean(o.json)),
  );

  json(
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

  json(
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

  json(
    program
      .command('reindex [tenant]')
      .description(
        'rebuild Typesense from Postgres: all (new versioned collections, alias swap, no downtime) or one tenant (upserts)',
      )
      .option('--wait', 'show progress until done')
      .option(
        '--if-empty',
        'only when the search index is empty and Postgres holds archived tickets (after a Typesense restart)',
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

  json(
    program
      .command('verify <tenant> [ticketId]')
      .description(
        'recompute digests from the stored bytes (one ticket or all of the tenant); exit 1 on any mismatch',
      ),
  ).action((tenant: string, ticket: string | undefined, o: { json?: boolean }) =>
    run((d) => verifyCommand(d, io, tenant, ticket), Boolean(o.json)),
  );

  json(
    program
      .command('export <tenant> <ticketId>')
      .description(
        'export an archived ticket to PDF (workflow exportTicketPdf); write it to --out or print a signed URL',
      )
      .option('--out <file>', 'write the PDF here'),
  ).action((tenant: string, ticket: string, o: { json?: boolean; out?: string }) =>
    run((d) => exportCommand(d, io, tenant, ticket, o), Boolean(o.json)),
  );

  registerRetentionCommands(program, run);
  registerSecretCommands(program, run);
  return program;
}

/** Runs one command line; returns the exit code (never calls process.exit). */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  let deps = options.deps ?? null;
  const owned = !options.deps;
  let code: number = EXIT.ok;
  const program = buildProgram(
    async (action, json) => {
      if (!deps) deps = await createCliDeps(loadConfig(options.env ?? process.env));
      const result = await action(deps);
      io.out(json ? `${JSON.stringify(result.data, null, 2)}\n` : `${result.text}\n`);
      code = result.code;
    },
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
