import type { WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { isTenantDisabled } from '../../lib/db/tenant-access';
import { getTenant, TenantNotFoundError } from '../../lib/db/tenants';
import { parseDateBound, SearchQueryError } from '../../lib/search/query';
import { PROGRESS_QUERY } from '../../lib/temporal/contract';
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

const TENANT = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const TICKET = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function tenantArg(value: string): string {
  const t = value.trim();
  if (!TENANT.test(t)) throw new UsageError(`not a bot identifier: ${JSON.stringify(value.slice(0, 60))}`);
  return t;
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function requireTenant(deps: CliDeps, tenantId: string, forArchiving: boolean): Promise<void> {
  if (!(await getTenant(deps.db, tenantId))) {
    throw new TenantNotFoundError(tenantId);
  }
  if (forArchiving && (await isTenantDisabled(deps.db, tenantId))) {
    throw new Error(
      `tenant ${tenantId} is disabled; re-enable it with: ticket-vault tenants allow ${tenantId}`,
    );
  }
}

/**
 * Waits for a long workflow, redrawing its `progress` query on one line meanwhile; resolves with
 * its result or the cause of its failure (never throws for a failed workflow).
 */
export async function waitWithProgress<P>(
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

export interface WaitOptions {
  wait?: boolean;
  /** How often --wait asks for progress. */
  pollMs?: number;
}

export async function queryProgress<T>(handle: WorkflowHandle): Promise<T | null> {
  try {
    return await handle.query<T>(PROGRESS_QUERY);
  } catch {
    return null; // between runs (continue-as-new) or no worker yet
  }
}

/** Runs one command's action with the CLI's dependencies and prints its result (`--json` or text). */
export type CliRun = (action: (deps: CliDeps) => Promise<CommandResult>, json: boolean) => Promise<void>;

/** What every command group's `register…Commands` gets from cli/main.ts. */
export interface CommandContext {
  run: CliRun;
  /** For commands that need no database or service (e.g. `replay`): nothing is connected. */
  runOffline: (action: () => Promise<CommandResult>, json: boolean) => Promise<void>;
  io: CliIo;
  /** --wait polling interval (tests make it short). */
  pollMs?: number;
}

/** Adds the `--json` option every command has. */
export const withJson = (cmd: Command) => cmd.option('--json', 'print the result as JSON on stdout');

/** What the commands that start workflows need: a connected client and the task queue. */
export type { TemporalStartContext as TemporalCommandContext } from '../../lib/temporal/retention-starter';
