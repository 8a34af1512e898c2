import type { Command } from 'commander';
import { revokeAllSessions, tenantHistory } from '../../lib/db/tenant-sessions';
import { resealAllTenantKeys, TenantNotFoundError } from '../../lib/db/tenants';
import type { CliDeps } from '../context';
import { type CommandContext, type CommandResult, tenantArg, UsageError } from './common';

/**
 * Secrets and sessions: log a tenant out everywhere, read its key history, and re-seal stored bot
 * keys with the current ARCHIVE_ENCRYPTION_KEY after a rotation (docs/operations.md).
 */

export async function tenantsLogoutAll(deps: CliDeps, bot: string): Promise<CommandResult> {
  const tenantId = tenantArg(bot).toLowerCase();
  try {
    const { epoch } = await revokeAllSessions(deps.db, tenantId, deps.actor);
    return {
      code: 0,
      data: { tenantId, revoked: true, epoch },
      text: `${tenantId}: every session ended (log in again with the bot key); the bot key itself keeps working`,
    };
  } catch (err) {
    if (err instanceof TenantNotFoundError) throw new UsageError(`no tenant ${tenantId}`);
    throw err;
  }
}

export async function tenantsHistory(deps: CliDeps, bot: string): Promise<CommandResult> {
  const tenantId = tenantArg(bot).toLowerCase();
  const events = await tenantHistory(deps.db, tenantId);
  return {
    code: 0,
    data: { tenantId, events },
    text:
      events.map((e) => `${e.at.toISOString()}  ${e.event.padEnd(16)}  ${e.actor}`).join('\n') ||
      `${tenantId}: no key changes or revocations recorded`,
  };
}

export async function keysReseal(deps: CliDeps): Promise<CommandResult> {
  const r = await resealAllTenantKeys(deps.db, deps.box);
  const unreadable = r.unreadable.length
    ? `; ${r.unreadable.length} open with no configured key (left as they are): ${r.unreadable.join(', ')}`
    : '';
  return {
    code: r.unreadable.length ? 1 : 0,
    data: r,
    text: `${r.checked} tenant keys checked, ${r.resealed.length} re-sealed with the current ARCHIVE_ENCRYPTION_KEY${unreadable}`,
  };
}

export function registerSecretCommands(program: Command, { run }: CommandContext): void {
  const tenants = program.commands.find((c) => c.name() === 'tenants') ?? program.command('tenants');
  tenants
    .command('logout-all <bot>')
    .description(
      "end every read session of the bot's tenant now (log out everywhere); the bot key keeps working",
    )
    .option('--json', 'print the result as JSON on stdout')
    .action((bot: string, o: { json?: boolean }) => run((d) => tenantsLogoutAll(d, bot), Boolean(o.json)));
  tenants
    .command('history <bot>')
    .description("the tenant's key changes and session revocations, newest first")
    .option('--json', 'print the result as JSON on stdout')
    .action((bot: string, o: { json?: boolean }) => run((d) => tenantsHistory(d, bot), Boolean(o.json)));
  program
    .command('keys')
    .description('stored bot keys')
    .command('reseal')
    .description(
      'seal every stored bot key with the current ARCHIVE_ENCRYPTION_KEY (after a rotation; then drop ARCHIVE_ENCRYPTION_KEY_PREVIOUS)',
    )
    .option('--json', 'print the result as JSON on stdout')
    .action((o: { json?: boolean }) => run((d) => keysReseal(d), Boolean(o.json)));
}
