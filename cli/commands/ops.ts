import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { createArchiveStarter, startOrJoinArchive } from '../../api/services/archive-starter';
import { writeAudit } from '../../lib/db/audit';
import { createExport, getExport } from '../../lib/db/exports';
import { readTicket } from '../../lib/db/read';
import { allowTenant, disableTenant, isTenantDisabled, listTenants } from '../../lib/db/tenant-access';
import { getTenant, setTenantCommandsUrl, TenantNotFoundError } from '../../lib/db/tenants';
import { isTicketArchived } from '../../lib/db/tickets';
import { verifyTicket } from '../../lib/integrity/verify';
import { outdatedCollections } from '../../lib/search/migrate';
import { parseDateBound, SearchQueryError } from '../../lib/search/query';
import {
  archiveWorkflowId,
  backfillWorkflowId,
  PROGRESS_QUERY,
  reindexWorkflowId,
  SEARCH_ATTRIBUTE,
  WORKFLOW,
} from '../../lib/temporal-contract';
import { normaliseTenantId } from '../../lib/tenant-id';
import type { BackfillProgress } from '../../workflows/backfill-tenant';
import type { ReindexProgress } from '../../workflows/reindex-search';
import type { CliDeps, CliIo } from '../context';

/**
 * The ops commands. Each returns what it found or did as `data` (printed with --json), a
 * human-readable `text`, and an exit code: 0 ok, 1 a failure found or the operation failed.
 * Usage errors throw UsageError (exit 2).
 */
export interface CommandResult {
  code: 0 | 1;
  data: unknown;
  text: string;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const TICKET = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A tenant named on the command line, normalised as the webhook normalises it (`LojaExemplo` → `lojaexemplo`). */
export function tenantArg(value: string): string {
  try {
    return normaliseTenantId(value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function ticketArg(value: string): string {
  const t = value.trim();
  if (!TICKET.test(t)) throw new UsageError(`not a ticket id (UUID): ${JSON.stringify(value.slice(0, 60))}`);
  return t.toLowerCase();
}

export function intOption(name: string, value: string | number | undefined, min: number, max: number) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer ${min}–${max}`);
  return n;
}

/** A --from/--to value as an ISO instant; a bare day is its start (from) or its end (to), UTC. */
export function dateArg(name: 'from' | 'to', value: string): string {
  try {
    const seconds = parseDateBound(name, value.trim());
    const bareDay = /^\d{4}-\d{2}-\d{2}$/.test(value.trim());
    return new Date(seconds * 1000 + (name === 'to' && bareDay ? 999 : 0)).toISOString();
  } catch (err) {
    if (err instanceof SearchQueryError) throw new UsageError(`--${err.message}`);
    throw err;
  }
}

/** A progress line on stderr: rewritten in place on a terminal, one line per change otherwise. */
export function progressLine(io: CliIo) {
  let last = '';
  return {
    update(line: string) {
      if (line === last) return;
      last = line;
      io.err(io.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    end() {
      if (io.tty && last) io.err('\n');
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function requireTenant(deps: CliDeps, tenantId: string, forArchiving: boolean): Promise<void> {
  if (!(await getTenant(deps.db, tenantId))) {
    throw new TenantNotFoundError(tenantId);
  }
  if (forArchiving && (await isTenantDisabled(deps.db, tenantId))) {
    throw new Error(
      `tenant ${tenantId} is disabled; re-enable it with: ticket-vault tenants allow ${tenantId}`,
    );
  }
}

// ── tenants ──────────────────────────────────────────────────────────────────────────────────

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

// ── archive ──────────────────────────────────────────────────────────────────────────────────

export async function archiveCommand(
  deps: CliDeps,
  tenant: string,
  ticket: string,
  opts: { force?: boolean; wait?: boolean },
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  const ticketId = ticketArg(ticket);
  await requireTenant(deps, tenantId, true);
  const temporal = await deps.temporal();
  const taskQueue = deps.config.TEMPORAL_TASK_QUEUE;
  const workflowId = archiveWorkflowId(tenantId, ticketId);
  let status: 'started' | 'running' | 'archived';
  if (opts.force) {
    // Same id: a closed run may run again (ALLOW_DUPLICATE); a running one is joined.
    status = await startOrJoinArchive(temporal, taskQueue, tenantId, ticketId, `ops CLI (${deps.actor})`);
  } else {
    const start = createArchiveStarter(temporal, taskQueue, (t, id) => isTicketArchived(deps.db, t, id));
    status = (await start(tenantId, ticketId)).status;
  }
  const data: Record<string, unknown> = { workflowId, tenantId, ticketId, status };
  let text = `${workflowId}: ${status}${status === 'archived' ? ' (already archived; --force re-runs it)' : ''}`;
  if (opts.wait && status !== 'archived') {
    try {
      const result = await temporal.workflow.getHandle(workflowId).result();
      Object.assign(data, { status: 'archived', result });
      text = `${workflowId}: archived, ${result.messageCount} messages, ${result.mediaStored} media stored, digest ${result.digest}`;
    } catch (err) {
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      Object.assign(data, { status: 'failed', error: cause });
      return { code: 1, data, text: `${workflowId}: failed: ${cause}` };
    }
  }
  return { code: 0, data, text };
}

/**
 * Waits for a long workflow, redrawing its `progress` query on one line meanwhile; resolves with
 * its result or the cause of its failure (never throws for a failed workflow).
 */
async function waitWithProgress<P>(
  io: CliIo,
  handle: WorkflowHandle,
  describe: (p: P) => string,
  pollMs = 1000,
): Promise<{ ok: true; r: P } | { ok: false; cause: string }> {
  const line = progressLine(io);
  const finished = (handle.result() as Promise<P>).then(
    (r) => ({ ok: true as const, r }),
    (e: Error) => ({ ok: false as const, cause: (e as { cause?: Error }).cause?.message ?? e.message }),
  );
  let outcome: Awaited<typeof finished> | null = null;
  while (!outcome) {
    const p = await queryProgress<P>(handle);
    if (p) line.update(describe(p));
    outcome = await Promise.race([finished, sleep(pollMs).then(() => null)]);
  }
  line.end();
  return outcome;
}

// ── backfill ─────────────────────────────────────────────────────────────────────────────────

export interface WaitOptions {
  wait?: boolean;
  /** How often --wait asks for progress. */
  pollMs?: number;
}

async function queryProgress<T>(handle: WorkflowHandle): Promise<T | null> {
  try {
    return await handle.query<T>(PROGRESS_QUERY);
  } catch {
    return null; // between runs (continue-as-new) or no worker yet
  }
}

async function describeStatus(temporal: Client, workflowId: string): Promise<string | null> {
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return null;
    throw err;
  }
}

export const backfillLine = (p: BackfillProgress) =>
  `backfill: listed ${p.listed}, skipped ${p.skipped}, started ${p.started}, archived ${p.archived}, failed ${p.failed}` +
  `${p.joined ? `, joined ${p.joined}` : ''}${p.done ? ' — done' : ''}`;

export async function backfillCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string,
  opts: WaitOptions & {
    from: string;
    to: string;
    pageSize?: number;
    concurrency?: number;
    continueAsNewEvery?: number;
  },
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  const from = dateArg('from', opts.from);
  const to = dateArg('to', opts.to);
  if (from > to) throw new UsageError('--from is after --to');
  await requireTenant(deps, tenantId, true);
  const temporal = await deps.temporal();
  const workflowId = backfillWorkflowId(tenantId, from, to);
  const previous = await describeStatus(temporal, workflowId);
  let status: 'started' | 'resumed' | 'completed';
  if (previous === 'RUNNING') status = 'resumed';
  else if (previous === 'COMPLETED') status = 'completed';
  else {
    try {
      await temporal.workflow.start(WORKFLOW.backfillTenant, {
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [
          {
            tenantId,
            from,
            to,
            pageSize: opts.pageSize,
            concurrency: opts.concurrency,
            continueAsNewEvery: opts.continueAsNewEvery,
          },
        ],
        // Re-running the command finds the running backfill; a failed or terminated one starts over
        // (children skip what Postgres already holds); a completed one is reported, not repeated.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [tenantId] },
      });
      status = 'started';
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      status = 'completed';
    }
  }
  const handle = temporal.workflow.getHandle(workflowId);
  let progress: BackfillProgress | null = null;
  if (status === 'completed') progress = await handle.result();
  else if (opts.wait) {
    const outcome = await waitWithProgress<BackfillProgress>(io, handle, backfillLine, opts.pollMs);
    if (!outcome.ok) {
      const cause = outcome.cause;
      return {
        code: 1,
        data: { workflowId, status: 'failed', error: cause },
        text: `${workflowId}: failed: ${cause}`,
      };
    }
    progress = outcome.r;
  } else progress = await queryProgress<BackfillProgress>(handle);
  const data = { workflowId, tenantId, from, to, status, progress };
  const text = `${workflowId}: ${status}${progress ? `\n${backfillLine(progress)}` : ''}`;
  return { code: progress?.done && progress.failed > 0 ? 1 : 0, data, text };
}

// ── reindex ──────────────────────────────────────────────────────────────────────────────────

const reindexLine = (p: ReindexProgress) =>
  `reindex: ${p.phase}, ${p.tickets} tickets, ${p.messages} messages${p.next ? ` → ${p.next.tickets}` : ''}`;

export async function reindexCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string | undefined,
  opts: WaitOptions & { batchSize?: number; ifEmpty?: boolean },
): Promise<CommandResult> {
  const tenantId = tenant === undefined ? undefined : tenantArg(tenant);
  if (tenantId) await requireTenant(deps, tenantId, false);
  if (opts.ifEmpty) {
    const { rows } = await deps.db.query<{ n: number }>(
      `select count(*)::int as n from tickets where archived_at is not null and ($1::text is null or tenant_id = $1)`,
      [tenantId ?? null],
    );
    const indexed = await deps.search
      .collections(deps.collections.tickets)
      .retrieve()
      .then((c) => (c as { num_documents: number }).num_documents)
      .catch(() => 0);
    const archived = rows[0]?.n ?? 0;
    // Collections from an older version (e.g. without tenant_key) are rebuilt even when full.
    const outdated = tenantId ? [] : await outdatedCollections(deps.search, deps.collections);
    if ((archived === 0 || indexed > 0) && outdated.length === 0) {
      return {
        code: 0,
        data: { status: 'skipped', archived, indexed },
        text: `reindex skipped: ${indexed} tickets in the index, ${archived} archived in Postgres`,
      };
    }
  }
  const temporal = await deps.temporal();
  const workflowId = reindexWorkflowId(tenantId);
  const handle = await temporal.workflow.start(WORKFLOW.reindexSearch, {
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    workflowId,
    args: [{ tenantId, batchSize: opts.batchSize }],
    // One reindex of a scope at a time: running it again while one runs joins it.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    ...(tenantId ? { searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [tenantId] } } : {}),
  });
  const data: Record<string, unknown> = {
    workflowId,
    runId: handle.firstExecutionRunId,
    tenantId: tenantId ?? null,
  };
  if (!opts.wait) {
    return { code: 0, data: { ...data, status: 'started' }, text: `${workflowId}: started` };
  }
  const outcome = await waitWithProgress<ReindexProgress>(io, handle, reindexLine, opts.pollMs);
  if (!outcome.ok) {
    const cause = outcome.cause;
    return {
      code: 1,
      data: { ...data, status: 'failed', error: cause },
      text: `${workflowId}: failed: ${cause}`,
    };
  }
  return {
    code: 0,
    data: { ...data, status: 'done', progress: outcome.r },
    text: `${workflowId}: done, ${outcome.r.tickets} tickets, ${outcome.r.messages} messages reindexed`,
  };
}

// ── verify ───────────────────────────────────────────────────────────────────────────────────

export async function verifyCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string,
  ticket: string | undefined,
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  let ids: string[];
  if (ticket !== undefined) ids = [ticketArg(ticket)];
  else {
    await requireTenant(deps, tenantId, false);
    const { rows } = await deps.db.query<{ ticket_id: string }>(
      'select ticket_id from tickets where tenant_id = $1 and archived_at is not null order by ticket_id',
      [tenantId],
    );
    ids = rows.map((r) => r.ticket_id);
  }
  const line = progressLine(io);
  const results: Array<{
    ticketId: string;
    ok: boolean;
    digest: string | null;
    sealedDigest: string | null;
    problems: string[];
  }> = [];
  for (const [i, ticketId] of ids.entries()) {
    if (ids.length > 1) line.update(`verify: ${i + 1}/${ids.length}`);
    const r = await verifyTicket(deps.db, deps.store, tenantId, ticketId);
    results.push(
      r
        ? { ticketId, ...r }
        : { ticketId, ok: false, digest: null, sealedDigest: null, problems: ['not archived'] },
    );
  }
  line.end();
  const bad = results.filter((r) => !r.ok);
  const text = [
    `${tenantId}: ${results.length} checked, ${results.length - bad.length} ok, ${bad.length} mismatched`,
    ...bad.map(
      (r) => `MISMATCH ${r.ticketId}: ${r.problems.join('; ') || 'digest differs from the sealed one'}`,
    ),
  ].join('\n');
  return {
    code: bad.length > 0 ? 1 : 0,
    data: {
      tenantId,
      checked: results.length,
      ok: results.length - bad.length,
      mismatched: bad.length,
      results,
    },
    text,
  };
}

// ── export ───────────────────────────────────────────────────────────────────────────────────

export async function exportCommand(
  deps: CliDeps,
  io: CliIo,
  tenant: string,
  ticket: string,
  opts: { out?: string },
): Promise<CommandResult> {
  const tenantId = tenantArg(tenant);
  const ticketId = ticketArg(ticket);
  if (!(await readTicket(deps.db, tenantId, ticketId))) {
    return {
      code: 1,
      data: { tenantId, ticketId, error: 'not archived' },
      text: `ticket ${ticketId} of ${tenantId} is not archived`,
    };
  }
  const temporal = await deps.temporal();
  const exportId = randomUUID();
  await createExport(deps.db, {
    exportId,
    tenantId,
    kind: 'ticket',
    target: ticketId,
    requestedBy: deps.actor,
  });
  const workflowId = `export/${tenantId}/${exportId}`;
  const handle = await temporal.workflow.start(WORKFLOW.exportTicketPdf, {
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    workflowId,
    args: [{ exportId, tenantId, ticketId, requestedBy: deps.actor }],
    searchAttributes: { [SEARCH_ATTRIBUTE.tenantId]: [tenantId], [SEARCH_ATTRIBUTE.ticketId]: [ticketId] },
  });
  await writeAudit(deps.db, {
    tenantId,
    actor: deps.actor,
    action: 'export.request',
    target: `ticket:${ticketId}`,
    details: { exportId, via: 'cli' },
  });
  const line = progressLine(io);
  line.update(`export ${exportId}: rendering…`);
  try {
    await handle.result();
  } catch (err) {
    line.end();
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    return {
      code: 1,
      data: { exportId, workflowId, status: 'failed', error: cause },
      text: `export failed: ${cause}`,
    };
  }
  line.end();
  const record = await getExport(deps.db, exportId, tenantId);
  if (record?.status !== 'done' || !record.storageKey) {
    return {
      code: 1,
      data: { exportId, status: record?.status ?? 'missing', error: record?.error },
      text: `export ${exportId}: ${record?.error ?? 'not done'}`,
    };
  }
  const data: Record<string, unknown> = {
    exportId,
    workflowId,
    status: 'done',
    sha256: record.sha256,
    pages: record.pages,
    size: record.size,
  };
  let text: string;
  if (opts.out) {
    await pipeline(deps.store.get(record.storageKey), createWriteStream(opts.out));
    data.file = opts.out;
    text = `wrote ${opts.out} (${record.pages} pages, ${record.size} bytes, sha-256 ${record.sha256})`;
  } else {
    const url = await deps.store.signedReadUrl(record.storageKey, {
      expiresInSeconds: deps.config.SIGNED_URL_TTL_SECONDS,
      downloadName: `ticket-${ticketId}.pdf`,
    });
    data.url = url;
    text = url;
  }
  await writeAudit(deps.db, {
    tenantId,
    actor: deps.actor,
    action: 'export.download',
    target: `export:${exportId}`,
    details: { via: 'cli', file: opts.out ? 'written' : 'signed-url' },
  });
  return { code: 0, data, text };
}
