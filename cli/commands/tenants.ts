import type { Command } from 'commander';
import { setTenantOcrLanguages } from '../../lib/db/media-text';
import { allowTenant, disableTenant, listTenants } from '../../lib/db/tenant-access';
import { setTenantCommandsUrl, setTenantName, setTenantTimeZone } from '../../lib/db/tenants';
import { ocrLanguages } from '../../lib/media-text/limits';
import { utcOffset } from '../../lib/pdf/format';
import type { CliDeps } from '../context';
import { type CommandContext, type CommandResult, tenantArg, UsageError, withJson } from './common';

/** `tenants list|allow|disable|set-commands-url|set-time-zone`: who may archive, where their Blip is, their zone. */

export async function tenantsList(deps: CliDeps): Promise<CommandResult> {
  const tenants = await listTenants(deps.db);
  const env = deps.config.ALLOWED_BOTS;
  const allowlist = env.length > 0 || tenants.some((t) => t.access === 'allowed');
  const rows = tenants.map((t) => ({
    ...t,
    status: t.access === 'disabled' ? 'disabled' : !t.registered ? 'pre-allowed' : 'active',
    allowed:
      t.access === 'disabled' ? false : t.access === 'allowed' || env.includes(t.tenantId) || !allowlist,
  }));
  const text = [
    `allowlist: ${allowlist ? `in use (${env.length > 0 ? 'ALLOWED_BOTS' : ''}${env.length > 0 && tenants.some((t) => t.access === 'allowed') ? ' + ' : ''}${tenants.some((t) => t.access === 'allowed') ? 'database' : ''})` : 'off (any bot with a valid key)'}`,
    ...rows.map(
      (r) =>
        `${r.tenantId.padEnd(28)} ${r.status.padEnd(11)} ${(r.allowed ? 'allowed' : 'refused').padEnd(8)} ${String(r.archivedTickets).padStart(7)} archived  ${r.commandsUrl ?? '(default commands URL)'}`,
    ),
  ].join('\n');
  return { code: 0, data: { allowlist, tenants: rows }, text };
}

export async function tenantsAllow(deps: CliDeps, bot: string): Promise<CommandResult> {
  const tenantId = tenantArg(bot);
  const { alsoAllowed } = await allowTenant(deps.db, tenantId, deps.actor);
  const lines = [`${tenantId} allowed`];
  if (alsoAllowed.length > 0)
    lines.push(`database allowlist turned on; existing tenants allowed with it: ${alsoAllowed.join(', ')}`);
  return { code: 0, data: { tenantId, access: 'allowed', alsoAllowed }, text: lines.join('\n') };
}

export async function tenantsDisable(deps: CliDeps, bot: string): Promise<CommandResult> {
  const tenantId = tenantArg(bot);
  await disableTenant(deps.db, tenantId, deps.actor);
  return {
    code: 0,
    data: { tenantId, access: 'disabled' },
    text: `${tenantId} disabled: its webhooks are refused (403) and no archive starts; its archive stays readable`,
  };
}

export async function tenantsSetCommandsUrl(deps: CliDeps, bot: string, url: string): Promise<CommandResult> {
  const tenantId = tenantArg(bot);
  const value = url === 'default' ? null : url;
  try {
    await setTenantCommandsUrl(deps.db, tenantId, value);
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
  return {
    code: 0,
    data: { tenantId, commandsUrl: value },
    text: `${tenantId} commands URL: ${value ?? `(default) ${deps.config.BLIP_API_URL}`}`,
  };
}

/** The name people know the tenant by (PDF cover, UI header); "-" clears it. */
export async function tenantsSetName(deps: CliDeps, bot: string, name: string): Promise<CommandResult> {
  const tenantId = tenantArg(bot);
  const value = name === '-' ? null : name;
  await setTenantName(deps.db, tenantId, value);
  return { code: 0, data: { tenantId, name: value }, text: `${tenantId} name: ${value ?? '(none)'}` };
}

/** The zone the tenant's PDFs show dates in; validated against Intl before it is stored. */
export async function tenantsSetTimeZone(deps: CliDeps, bot: string, zone: string): Promise<CommandResult> {
  const tenantId = tenantArg(bot);
  let timeZone: string;
  try {
    timeZone = await setTenantTimeZone(deps.db, tenantId, zone);
  } catch (err) {
    if (err instanceof TypeError)
      throw new UsageError(`${err.message} (e.g. America/Sao_Paulo, America/Mexico_City)`);
    throw err;
  }
  return {
    code: 0,
    data: { tenantId, timeZone },
    text: `${tenantId} time zone: ${timeZone} (now ${utcOffset(new Date(), timeZone)})`,
  };
}

/** The Tesseract languages the text inside this tenant's media is read in (`default` = MEDIA_TEXT_LANGUAGES). */
export async function tenantsSetOcrLanguages(
  deps: CliDeps,
  bot: string,
  languages: string,
): Promise<CommandResult> {
  const tenantId = tenantArg(bot);
  let value: string | null = null;
  if (languages !== 'default') {
    const parsed = ocrLanguages.safeParse(languages);
    if (!parsed.success) throw new UsageError(`languages: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    value = parsed.data;
  }
  if (!(await setTenantOcrLanguages(deps.db, tenantId, value))) throw new UsageError(`no tenant ${tenantId}`);
  const shown = value ?? `${deps.config.MEDIA_TEXT_LANGUAGES} (MEDIA_TEXT_LANGUAGES)`;
  return {
    code: 0,
    data: { tenantId, ocrLanguages: value },
    text: `${tenantId} reads the text inside its media in ${shown}; \`ticket-vault extract-text --tenant ${tenantId} --force\` reads what it already has again`,
  };
}

export function registerTenantCommands(program: Command, { run }: CommandContext): void {
  const tenants = program
    .command('tenants')
    .description('list, allow, disable tenants (bots) and set their Blip URL, name and time zone');
  withJson(
    tenants.command('list').description('every tenant with its status, allowlist state and archived count'),
  ).action((o: { json?: boolean }) => run((d) => tenantsList(d), Boolean(o.json)));
  withJson(
    tenants
      .command('allow <bot>')
      .description(
        'put a bot on the database allowlist (before its first webhook) or re-enable a disabled one; the first allow turns the allowlist on and allows every existing tenant with it',
      ),
  ).action((bot: string, o: { json?: boolean }) => run((d) => tenantsAllow(d, bot), Boolean(o.json)));
  withJson(
    tenants
      .command('disable <bot>')
      .description("refuse the bot's webhooks (403) and start no archive for it; its archive stays readable"),
  ).action((bot: string, o: { json?: boolean }) => run((d) => tenantsDisable(d, bot), Boolean(o.json)));
  withJson(
    tenants
      .command('set-commands-url <bot> <url>')
      .description('the Blip commands URL used for this tenant ("default" = BLIP_API_URL)'),
  ).action((bot: string, url: string, o: { json?: boolean }) =>
    run((d) => tenantsSetCommandsUrl(d, bot, url), Boolean(o.json)),
  );
  withJson(
    tenants
      .command('set-name <bot> <name>')
      .description('the company or bot name shown on PDF covers and in the UI ("-" clears it)'),
  ).action((bot: string, name: string, o: { json?: boolean }) =>
    run((d) => tenantsSetName(d, bot, name), Boolean(o.json)),
  );
  withJson(
    tenants
      .command('set-time-zone <bot> <zone>')
      .description("the IANA time zone this tenant's PDF exports show dates in (default America/Sao_Paulo)"),
  ).action((bot: string, zone: string, o: { json?: boolean }) =>
    run((d) => tenantsSetTimeZone(d, bot, zone), Boolean(o.json)),
  );
  withJson(
    tenants
      .command('set-ocr-languages <bot> <languages>')
      .description(
        "the Tesseract languages (por+spa+eng; default = MEDIA_TEXT_LANGUAGES) the text inside this tenant's images and scanned documents is read in",
      ),
  ).action((bot: string, languages: string, o: { json?: boolean }) =>
    run((d) => tenantsSetOcrLanguages(d, bot, languages), Boolean(o.json)),
  );
}
