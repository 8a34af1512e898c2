import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PoolClient } from 'pg';
import type { Db } from './pool';

/**
 * Schema migrations, run by every process on start (api, worker, tests). Each `NNN_name.sql` in
 * `migrations/` is applied once, in name order, inside its own transaction, and recorded in
 * `schema_migrations` with its sha-256. Concurrent starts are serialised by a session-level
 * advisory lock, so two processes never apply the same file. A file that changed after it was
 * applied stops the process: applied migrations are history, new changes go in a new file.
 *
 * The .sql files are read from next to this module at run time; a build that emits JS elsewhere
 * must copy `lib/db/migrations/` along.
 */

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** Arbitrary constant identifying "ticket-vault schema migration" among advisory locks. */
const MIGRATION_LOCK_ID = 7_413_201_001;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface MigrationFile {
  name: string;
  sql: string;
  sha256: string;
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name), 'utf8');
      return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

export interface MigrateOptions {
  directory?: string;
  /**
   * Custom settings (`ticket_vault.*`) set with `set_config(…, true)` inside each migration's
   * transaction. For tests only: e.g. `ticket_vault.messages_partition_max_rows` lowers the size
   * above which 014 leaves partitioning to the CLI. Production passes none.
   */
  settings?: Record<string, string>;
}

/** Applies pending migrations; returns the names applied by this call (empty when up to date). */
export async function migrate(db: Db, options: MigrateOptions = {}): Promise<string[]> {
  const files = await readMigrations(options.directory ?? MIGRATIONS_DIR);
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      return await applyPending(client, files, options.settings ?? {});
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-migration is discarded rather than returned to the pool.
    client.release(broken);
  }
}

async function applyPending(
  client: PoolClient,
  files: MigrationFile[],
  settings: Record<string, string>,
): Promise<string[]> {
  await client.query(`
    create table if not exists schema_migrations (
      name       text primary key,
      sha256     text not null,
      applied_at timestamptz not null default now()
    )`);
  const { rows } = await client.query<{ name: string; sha256: string }>(
    'select name, sha256 from schema_migrations',
  );
  const applied = new Map(rows.map((r) => [r.name, r.sha256]));
  const done: string[] = [];
  for (const file of files) {
    const previous = applied.get(file.name);
    if (previous !== undefined) {
      if (previous !== file.sha256) {
        throw new MigrationError(
          `migration ${file.name} changed after it was applied; add a new migration file instead`,
        );
      }
      continue;
    }
    await client.query('begin');
    try {
      for (const [name, value] of Object.entries(settings)) {
        if (!name.startsWith('ticket_vault.'))
          throw new MigrationError(`setting ${name} is not ticket_vault.*`);
        await client.query('select set_config($1, $2, true)', [name, value]);
      }
      await client.query(file.sql);
      await client.query('insert into schema_migrations (name, sha256) values ($1, $2)', [
        file.name,
        file.sha256,
      ]);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw new MigrationError(`migration ${file.name} failed: ${(err as Error).message}`);
    }
    done.push(file.name);
  }
  return done;
}
