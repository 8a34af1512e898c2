import type { PoolClient } from 'pg';
import type { Db } from './pool';

/**
 * The online conversion of `messages` to 16 hash partitions by tenant_id, for installations too
 * large for migration 014 to convert in a deploy (it recorded `pending` in `messages_partitioning`).
 * Run by `ticket-vault db partition-messages`; docs/operations.md has the operator's side.
 *
 * 1. Prepare (short lock): `messages_p` and its partitions (migration 014's
 *    `messages_partition_prepare()`), the change log `messages_partition_changes` and a trigger on
 *    `messages` that writes the key of every row inserted, updated or deleted from then on.
 *    Creating the trigger waits for writes in flight, so every write after it is logged.
 * 2. Copy tenant by tenant in keyset batches of `batchSize` rows, one short transaction each, the
 *    cursor saved with each batch: a crash or Ctrl-C resumes at the last committed batch. Writers
 *    are not blocked. A row whose key or position the copy already holds is skipped (not
 *    `on conflict`, which cannot name a deferrable constraint): either it was copied already, or
 *    the copy holds an older version of a row that moved, and then both rows were written after
 *    the trigger and are in the log. Only this run writes `messages_p` (advisory lock).
 * 3. Swap, in one transaction holding `messages` and `media` in access exclusive mode (seconds):
 *    re-copy every logged key from `messages` (delete it from the copy, insert it again if it still
 *    exists), check both tables hold the same number of rows, drop the old table and rename
 *    (014's `messages_partition_swap()`), media's foreign key re-added NOT VALID.
 * 4. `validate constraint` on media's foreign key, which does not block writes.
 *
 * Why a change log rather than `updated_at`: a row written by a transaction that started before a
 * batch and committed after it carries an `updated_at` older than the batch, and a deleted row
 * carries nothing at all; the log catches both.
 */

export type PartitioningStatus = 'pending' | 'copying' | 'done';

export class PartitioningRefused extends Error {
  override name = 'PartitioningRefused';
}

export interface PartitionProgress {
  tenantId: string;
  copied: number;
}

export interface PartitionOptions {
  /** Rows per copy batch (one short transaction each). */
  batchSize?: number;
  /** How long the swap waits for the exclusive lock before giving up and trying again. */
  lockTimeoutMs?: number;
  /** Tries of the prepare and of the swap when the lock times out or a deadlock picks it. */
  swapAttempts?: number;
  onProgress?: (p: PartitionProgress) => void | Promise<void>;
  /** Called after the copy, before the swap: tests write here to prove the catch-up. */
  beforeSwap?: () => Promise<void>;
}

export interface PartitionResult {
  status: 'done' | 'already-partitioned';
  copied: number;
  caughtUp: number;
  rows: number;
  partitions: number;
}

/** Arbitrary constant: one conversion at a time. */
const PARTITION_LOCK_ID = 7_413_201_014;
const MEDIA_FK = 'media_tenant_id_ticket_id_message_id_fkey';

/** Whether `messages` is a partitioned table, and how many partitions it has. */
export async function messagesLayout(
  db: Pick<Db, 'query'>,
): Promise<{ partitioned: boolean; partitions: number }> {
  const { rows } = await db.query<{ partitioned: boolean; partitions: number }>(
    `select exists (select 1 from pg_partitioned_table where partrelid = 'messages'::regclass) as partitioned,
            (select count(*)::int from pg_inherits where inhparent = 'messages'::regclass) as partitions`,
  );
  return rows[0] ?? { partitioned: false, partitions: 0 };
}

export async function partitioningStatus(db: Pick<Db, 'query'>): Promise<PartitioningStatus | null> {
  const { rows } = await db.query<{ status: PartitioningStatus }>('select status from messages_partitioning');
  return rows[0]?.status ?? null;
}

export async function partitionMessages(db: Db, options: PartitionOptions = {}): Promise<PartitionResult> {
  const batchSize = options.batchSize ?? 50_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  const swapAttempts = options.swapAttempts ?? 5;
  // One session for the whole run: it holds the advisory lock that keeps a second run out.
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    const { rows: lock } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [
      PARTITION_LOCK_ID,
    ]);
    if (!lock[0]?.ok)
      throw new PartitioningRefused('another `db partition-messages` is running against this database');
    try {
      const layout = await messagesLayout(client);
      if (layout.partitioned) {
        const { rows } = await client.query<{ n: string }>('select count(*) as n from messages');
        return {
          status: 'already-partitioned',
          copied: 0,
          caughtUp: 0,
          rows: Number(rows[0]?.n ?? 0),
          ...layout,
        };
      }
      if ((await partitioningStatus(client)) === null)
        throw new PartitioningRefused(
          'migration 014 has not run on this database (no messages_partitioning row)',
        );
      await withLockRetry(swapAttempts, () => prepare(client, lockTimeoutMs));
      const copied = await copyAll(client, batchSize, options.onProgress);
      await options.beforeSwap?.();
      const { caughtUp, rows } = await withLockRetry(swapAttempts, () =>
        inTransaction(client, () => swap(client, lockTimeoutMs)),
      );
      await client.query(`alter table media validate constraint ${MEDIA_FK}`);
      return { status: 'done', copied, caughtUp, rows, ...(await messagesLayout(client)) };
    } finally {
      await client.query('select pg_advisory_unlock($1)', [PARTITION_LOCK_ID]).catch(() => undefined);
    }
  } catch (err) {
    if (!(err instanceof PartitioningRefused)) broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await work();
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

async function prepare(client: PoolClient, lockTimeoutMs: number): Promise<void> {
  await inTransaction(client, async () => {
    // The trigger waits for writes in flight, and writes queue behind it: bounded like the swap.
    await client.query(`select set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
    await client.query('select messages_partition_prepare()');
    await client.query(`create table if not exists messages_partition_changes (
      tenant_id text not null, ticket_id text not null, message_id text not null)`);
    // Keys are never updated (the upserts' conflict target), so NEW's key is OLD's on update.
    await client.query(`create or replace function messages_partition_log() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          insert into messages_partition_changes values (old.tenant_id, old.ticket_id, old.message_id);
        else
          insert into messages_partition_changes values (new.tenant_id, new.ticket_id, new.message_id);
        end if;
        return null;
      end $$`);
    await client.query(`create or replace trigger messages_partition_log
      after insert or update or delete on messages for each row execute function messages_partition_log()`);
    await client.query(
      `update messages_partitioning set status = 'copying', started_at = coalesce(started_at, now())`,
    );
  });
}

/** Keyset batches tenant by tenant from the saved cursor; returns the rows copied by this run. */
async function copyAll(
  client: PoolClient,
  batchSize: number,
  onProgress: PartitionOptions['onProgress'],
): Promise<number> {
  const state = await client.query<{
    cursor_tenant: string | null;
    cursor_ticket: string | null;
    cursor_message: string | null;
  }>('select cursor_tenant, cursor_ticket, cursor_message from messages_partitioning');
  let {
    cursor_tenant: tenant,
    cursor_ticket: ticket,
    cursor_message: message,
  } = state.rows[0] ?? {
    cursor_tenant: null,
    cursor_ticket: null,
    cursor_message: null,
  };
  // Every message's tenant is in `tenants` (messages → tickets → tenants). A tenant created
  // during the copy before the cursor has only rows written after the trigger: the log has them.
  // The cursor on a tenant without a ticket means that tenant is done; with one, it is half done.
  const tenants = await client.query<{ tenant_id: string }>(
    `select tenant_id from tenants
      where $1::text is null or tenant_id > $1 or (tenant_id = $1 and $2::text is not null)
      order by tenant_id`,
    [tenant, ticket],
  );
  let total = 0;
  for (const { tenant_id: tenantId } of tenants.rows) {
    if (tenantId !== tenant) {
      tenant = tenantId;
      ticket = null;
      message = null;
    }
    for (;;) {
      const batch = await inTransaction(client, async () => {
        const { rows } = await client.query<{
          n: number;
          ticket_id: string | null;
          message_id: string | null;
        }>(
          `with chunk as (
             select * from messages
              where tenant_id = $1 and ($2::text is null or (ticket_id, message_id) > ($2, $3))
              order by ticket_id, message_id limit $4
           ), copied as (
             insert into messages_p select c.* from chunk c
              where not exists (select 1 from messages_p p
                                 where p.tenant_id = c.tenant_id and p.ticket_id = c.ticket_id
                                   and (p.message_id = c.message_id or p.position = c.position))
           )
           select (select count(*)::int from chunk) as n, last.ticket_id, last.message_id
             from (select 1) one
             left join lateral (select ticket_id, message_id from chunk
                                 order by ticket_id desc, message_id desc limit 1) last on true`,
          [tenantId, ticket, message, batchSize],
        );
        const r = rows[0] ?? { n: 0, ticket_id: null, message_id: null };
        if (r.n > 0)
          await client.query(
            `update messages_partitioning
                set cursor_tenant = $1, cursor_ticket = $2, cursor_message = $3, copied = copied + $4`,
            [tenantId, r.ticket_id, r.message_id, r.n],
          );
        return r;
      });
      if (batch.n === 0) break;
      total += batch.n;
      ticket = batch.ticket_id;
      message = batch.message_id;
      await onProgress?.({ tenantId, copied: total });
      if (batch.n < batchSize) break;
    }
    // The tenant is done: the next run starts at the next one.
    await client.query(
      'update messages_partitioning set cursor_tenant = $1, cursor_ticket = null, cursor_message = null',
      [tenantId],
    );
    ticket = null;
    message = null;
  }
  return total;
}

/** Runs `work` again when it lost on a lock: our lock_timeout (55P03) or a deadlock (40P01). */
async function withLockRetry<T>(attempts: number, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= attempts || (code !== '55P03' && code !== '40P01')) throw err;
    }
  }
}

async function swap(client: PoolClient, lockTimeoutMs: number): Promise<{ caughtUp: number; rows: number }> {
  await client.query(`select set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
  await client.query('lock table messages, media in access exclusive mode');
  await client.query(`create temporary table changed on commit drop as
    select distinct tenant_id, ticket_id, message_id from messages_partition_changes`);
  await client.query(`delete from messages_p p using changed c
    where p.tenant_id = c.tenant_id and p.ticket_id = c.ticket_id and p.message_id = c.message_id`);
  // Every logged key is now absent from the copy, and the rows re-inserted come from `messages`
  // as it is: the copy ends up equal to it, positions unique as they are there.
  const caught = await client.query(`insert into messages_p select m.* from messages m join changed c
    on m.tenant_id = c.tenant_id and m.ticket_id = c.ticket_id and m.message_id = c.message_id`);
  const { rows } = await client.query<{ old: string; new: string }>(
    'select (select count(*) from messages) as old, (select count(*) from messages_p) as new',
  );
  const counts = rows[0] ?? { old: '0', new: '-1' };
  if (counts.old !== counts.new)
    throw new Error(
      `messages partitioning: the copy holds ${counts.new} rows, messages ${counts.old}; nothing was swapped, run the command again`,
    );
  await client.query('drop trigger messages_partition_log on messages');
  await client.query('select messages_partition_swap()');
  await client.query('drop table messages_partition_changes');
  await client.query('drop function messages_partition_log()');
  await client.query(
    `update messages_partitioning set status = 'done', finished_at = now(), cursor_tenant = null,
            cursor_ticket = null, cursor_message = null`,
  );
  return { caughtUp: caught.rowCount ?? 0, rows: Number(counts.old) };
}
