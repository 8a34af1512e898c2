import type { Command } from 'commander';
import { recordFileMetrics } from '../../activities/media-text';
import { getTenantOcrLanguages, ticketsWithMedia } from '../../lib/db/media-text';
import { listTenantIds } from '../../lib/db/tenants';
import { engineInfo } from '../../lib/media-text/engine';
import { createExtractor } from '../../lib/media-text/extract';
import { limitsFromConfig } from '../../lib/media-text/limits';
import { createMediaTextReader } from '../../lib/media-text/read-stored';
import { indexTicket } from '../../lib/search/indexer';
import type { CliDeps, CliIo } from '../context';
import {
  type CommandContext,
  type CommandResult,
  dateArg,
  progressLine,
  requireTenant,
  tenantArg,
  withJson,
} from './common';

/**
 * `extract-text [--tenant T] [--since D] [--force]`: reads the text inside stored images and
 * documents that the installed engine version has not read yet (media archived before this
 * feature, or after an engine upgrade), here, one file at a time under the same limits as the
 * worker, then indexes the tickets holding them again. `--force` reads every one again.
 */
interface ExtractTextOptions {
  tenant?: string;
  since?: string;
  force?: boolean;
}

const BATCH = 20;

export async function extractTextCommand(
  deps: CliDeps,
  io: CliIo,
  opts: ExtractTextOptions,
): Promise<CommandResult> {
  const tenantId = opts.tenant === undefined ? undefined : tenantArg(opts.tenant);
  if (tenantId) await requireTenant(deps, tenantId, false);
  const since = opts.since === undefined ? undefined : new Date(dateArg('from', opts.since));
  const limits = limitsFromConfig(deps.config);
  const { engine, version } = await engineInfo();
  const totals = { read: 0, ok: 0, notOk: 0, tickets: 0 };
  const progress = progressLine(io);
  const reader = createMediaTextReader({
    db: deps.db,
    store: deps.store,
    extractor: createExtractor({ limits }),
    engine: engineInfo,
    limits,
    languagesOf: async (t) => (await getTenantOcrLanguages(deps.db, t)) ?? deps.config.MEDIA_TEXT_LANGUAGES,
    onRead: (read) => recordFileMetrics(undefined, read),
  });
  const tenants = tenantId ? [tenantId] : await listTenantIds(deps.db);
  // --force reads each object once in this run: the cursor moves past it whatever it holds.
  for (const t of tenants) {
    for (let after: string | null = ''; after !== null; ) {
      const r = await reader.readBatch({ tenantId: t, since, force: opts.force, after, limit: BATCH });
      totals.read += r.read;
      totals.ok += r.ok;
      totals.notOk += r.notOk;
      const touched = await ticketsWithMedia(deps.db, t, r.shas);
      for (const ticketId of touched)
        await indexTicket(deps.db, deps.search, deps.collections, t, ticketId, undefined, {
          textWindowMonths: deps.config.SEARCH_TEXT_DEFAULT_MONTHS,
        });
      totals.tickets += touched.length;
      progress.update(
        `extract-text: ${t}: ${totals.read} files read (${totals.ok} with text, ${totals.notOk} unreadable), ${totals.tickets} tickets reindexed`,
      );
      // Without --force the rows just written drop out of the query, so start over from the top.
      after = r.next === null ? null : opts.force ? r.next : '';
      if (!opts.force && r.read === 0) after = null;
    }
  }
  progress.end();
  return {
    code: 0,
    data: { engine, engineVersion: version, tenants: tenants.length, ...totals },
    text: `extract-text: ${totals.read} files read with ${version}: ${totals.ok} ok, ${totals.notOk} not readable (media_text.reason says why); ${totals.tickets} tickets reindexed`,
  };
}

export function registerExtractTextCommands(program: Command, { run, io }: CommandContext): void {
  withJson(
    program
      .command('extract-text')
      .description(
        'read the text inside stored images and documents (OCR, PDF text layer) not yet read by the installed engine, and reindex their tickets',
      )
      .option('--tenant <bot>', 'only this tenant')
      .option('--since <date>', 'only media stored on or after this day or instant (2025-03-12)')
      .option('--force', 'read every file again, also those this engine version already read'),
  ).action((o: ExtractTextOptions & { json?: boolean }) =>
    run((d) => extractTextCommand(d, io, o), Boolean(o.json)),
  );
}
