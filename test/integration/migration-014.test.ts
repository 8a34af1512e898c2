import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliDeps, CliIo } from '../../cli/context';
import { runCli } from '../../cli/main';
import { MIGRATIONS_DIR, migrate } from '../../lib/db/migrate';
import { messagesLayout, partitioningStatus, partitionMessages } from '../../lib/db/partition-messages';
import { createPool, type Db } from '../../lib/db/pool';
import { createTestDatabase } from '../../tools/harness/stack-env';

/**
 * Migration 014 on a database that already holds messages: `messages` becomes 16 hash partitions
 * by tenant with the same rows, keys and foreign keys. Small tables are converted by the
 * migration; above the threshold it records `pending` and `ticket-vault db partition-messages`
 * converts online, resumable, and refuses a second time.
 */

const TENANTS = ['loja-a', 'loja-b', 'loja-c', 'loja-d', 'loja-e', 'loja-f'];
const TICKETS_PER_TENANT = 5;
const MESSAGES_PER_TICKET = 4;
const ROWS = TENANTS.length * TICKETS_PER_TENANT * MESSAGES_PER_TICKET;

let before014: string;
beforeAll(() => {
  before014 = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-migrations-'));
  for (const name of fs.readdirSync(MIGRATIONS_DIR).filter((n) => n.endsWith('.sql') && n < '014'))
    fs.copyFileSync(path.join(MIGRATIONS_DIR, name), path.join(before014, name));
});
afterAll(() => fs.rmSync(before014, { recursive: true, force: true }));

/** A database at migration 013 with messages (positions 0..3 per ticket) and one media row per ticket. */
async function databaseAt013() {
  const database = await createTestDatabase();
  const db = createPool(database.url, 3);
  await migrate(db, { directory: before014 });
  for (const tenant of TENANTS) {
    await db.query(
      `insert into tenants (tenant_id, bot_identity, key_sealed, key_fingerprint) values ($1, $1 || '@msging.net', 'x', 'y')`,
      [tenant],
    );
    await db.query(
      `insert into tickets (tenant_id, ticket_id, customer_identity, raw)
       select $1, 'ticket-' || k, 'c' || k || '@wa.gw.msging.net', '{}'::jsonb from generate_series(1, $2) k`,
      [tenant, TICKETS_PER_TENANT],
    );
    await db.query(
      `insert into messages (tenant_id, ticket_id, message_id, position, direction, sender, sent_at, type, text,
                             content, raw, raw_sha256, in_ticket_window, status)
       select $1, 'ticket-' || k, 'msg-' || k || '-' || p, p, (array['customer','agent','bot','system'])[p + 1],
              'someone', timestamptz '2026-01-01' + make_interval(mins => p), 'text/plain', 'olá ' || p,
              jsonb_build_object('p', p), convert_to('{"id":"msg-' || k || '-' || p || '"}', 'UTF8'),
              md5(k::text || p::text), p % 2 = 0, 'consumed'
         from generate_series(1, $2) k, generate_series(0, $3 - 1) p`,
      [tenant, TICKETS_PER_TENANT, MESSAGES_PER_TICKET],
    );
    await db.query(
      `insert into media (tenant_id, ticket_id, message_id, ordinal, original_uri)
       select $1, 'ticket-' || k, 'msg-' || k || '-0', 0, 'https://example.com/' || k from generate_series(1, $2) k`,
      [tenant, TICKETS_PER_TENANT],
    );
  }
  return { db, drop: database.drop };
}

/** Every row of messages, every column, in key order. */
const contents = async (db: Db) =>
  (
    await db.query<{ n: number; digest: string }>(
      `select count(*)::int as n, md5(string_agg(m::text, E'\\n' order by tenant_id, ticket_id, message_id)) as digest
         from messages m`,
    )
  ).rows[0];

const pgCode = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (err: { code?: string }) => err.code,
  );

/** What every path must leave: partitions, keys, foreign keys and pruning. */
async function expectPartitionedLikeBefore(db: Db) {
  const layout = await db.query<{ strategy: string; keys: string }>(
    `select p.partstrat as strategy, pg_get_partkeydef(p.partrelid) as keys
       from pg_partitioned_table p where p.partrelid = 'messages'::regclass`,
  );
  expect(layout.rows).toEqual([{ strategy: 'h', keys: 'HASH (tenant_id)' }]);
  expect(await messagesLayout(db)).toEqual({ partitioned: true, partitions: 16 });
  // The six tenants are spread over partitions, not all in one.
  const used = await db.query<{ n: number }>('select count(distinct tableoid)::int as n from messages');
  expect(used.rows[0]?.n).toBeGreaterThan(1);

  const constraints = await db.query<{
    conname: string;
    contype: string;
    condeferrable: boolean;
    convalidated: boolean;
    def: string;
  }>(
    `select conname, contype, condeferrable, convalidated, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid in ('messages'::regclass, 'media'::regclass) and contype in ('p', 'u', 'f')
        and conparentid = 0 -- not the per-partition halves of the foreign key to messages
      order by conname`,
  );
  expect(constraints.rows).toEqual([
    expect.objectContaining({ conname: 'media_pkey', contype: 'p' }),
    {
      conname: 'media_tenant_id_ticket_id_message_id_fkey',
      contype: 'f',
      condeferrable: false,
      convalidated: true,
      def: 'FOREIGN KEY (tenant_id, ticket_id, message_id) REFERENCES messages(tenant_id, ticket_id, message_id)',
    },
    {
      conname: 'messages_pkey',
      contype: 'p',
      condeferrable: false,
      convalidated: true,
      def: 'PRIMARY KEY (tenant_id, ticket_id, message_id)',
    },
    {
      conname: 'messages_position_key',
      contype: 'u',
      condeferrable: true,
      convalidated: true,
      def: 'UNIQUE (tenant_id, ticket_id, "position") DEFERRABLE',
    },
    {
      conname: 'messages_tenant_id_ticket_id_fkey',
      contype: 'f',
      condeferrable: false,
      convalidated: true,
      def: 'FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets(tenant_id, ticket_id)',
    },
  ]);
  // Nothing of the conversion is left behind.
  const leftovers = await db.query(
    `select relname from pg_class where relname in ('messages_p', 'messages_partition_changes')`,
  );
  expect(leftovers.rows).toEqual([]);
  expect(await partitioningStatus(db)).toBe('done');

  // media → messages is enforced: media for a message that does not exist is refused…
  expect(
    await pgCode(
      db.query(
        `insert into media (tenant_id, ticket_id, message_id, ordinal, original_uri)
         values ('loja-a', 'ticket-1', 'msg-nope', 0, 'https://example.com/x')`,
      ),
    ),
  ).toBe('23503');
  // …and so is a message whose media is still there.
  expect(
    await pgCode(db.query(`delete from messages where tenant_id = 'loja-a' and message_id = 'msg-1-0'`)),
  ).toBe('23503');
  // messages → tickets: a message of a ticket that does not exist is refused.
  expect(
    await pgCode(
      db.query(
        `insert into messages (tenant_id, ticket_id, message_id, position, direction, type, text, raw, raw_sha256, in_ticket_window)
         values ('loja-a', 'ticket-nope', 'm', 0, 'bot', 'text/plain', '', '\\x00', 'h', true)`,
      ),
    ),
  ).toBe('23503');

  // Position stays unique per ticket…
  const dup = `insert into messages (tenant_id, ticket_id, message_id, position, direction, type, text, raw, raw_sha256, in_ticket_window)
               values ('loja-b', 'ticket-2', 'msg-new', 1, 'bot', 'text/plain', '', '\\x00', 'h', true)`;
  expect(await pgCode(db.query(dup))).toBe('23505');
  // …checked at the end of the statement (a page whose positions swap in one upsert)…
  const swapped = await db.query(
    `insert into messages (tenant_id, ticket_id, message_id, position, direction, type, text, raw, raw_sha256, in_ticket_window)
     values ('loja-b', 'ticket-2', 'msg-2-0', 1, 'bot', 'text/plain', '', '\\x00', 'h', true),
            ('loja-b', 'ticket-2', 'msg-2-1', 0, 'bot', 'text/plain', '', '\\x00', 'h', true)
     on conflict (tenant_id, ticket_id, message_id) do update set position = excluded.position`,
  );
  expect(swapped.rowCount).toBe(2);
  // …and deferrable to the commit, by the parent's constraint name.
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query('set constraints messages_position_key deferred');
    await client.query(dup); // position 1 twice, for now
    await client.query(
      `update messages set position = 99 where tenant_id = 'loja-b' and ticket_id = 'ticket-2' and message_id = 'msg-new'`,
    );
    await client.query('commit');
    await client.query('begin');
    await client.query('set constraints messages_position_key deferred');
    await client.query(dup.replace("'msg-new'", "'msg-new-2'"));
    expect(await pgCode(client.query('commit'))).toBe('23505');
  } finally {
    client.release();
  }
  await db.query(`delete from messages where message_id = 'msg-new'`);

  // The erasure's delete of a ticket (lib/retention/purge.ts) and a whole tenant's messages each
  // read one partition.
  for (const sql of [
    `delete from messages where tenant_id = 'loja-c' and ticket_id = 'ticket-3'`,
    `delete from messages where tenant_id = 'loja-c'`,
  ]) {
    const plan = await db.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${sql}`);
    const relations = [
      ...JSON.stringify(plan.rows[0]?.['QUERY PLAN']).matchAll(/"Relation Name":"(\w+)"/g),
    ].map((m) => m[1]);
    const partitions = new Set(relations.filter((r) => r !== 'messages'));
    expect(partitions.size).toBe(1);
    expect([...partitions][0]).toMatch(/^messages_h\d\d$/);
  }
}

test('a small messages table is partitioned by the migration itself, rows and keys unchanged', async () => {
  const { db, drop } = await databaseAt013();
  try {
    const before = await contents(db);
    expect(before?.n).toBe(ROWS);

    expect(await migrate(db)).toContain('014_messages_partitioned.sql');
    expect(await contents(db)).toEqual(before);
    const state = await db.query('select status, rows_counted, copied, max_rows from messages_partitioning');
    expect(state.rows).toEqual([
      { status: 'done', rows_counted: String(ROWS), copied: String(ROWS), max_rows: '200000' },
    ]);
    await expectPartitionedLikeBefore(db);
    // Running the migrations again changes nothing.
    expect(await migrate(db)).toEqual([]);
  } finally {
    await db.end();
    await drop();
  }
});

test('a large messages table is left to `db partition-messages`: online copy, catch-up, resume, refused twice', async () => {
  const { db, drop } = await databaseAt013();
  try {
    const before = await contents(db);
    // Above the (lowered) threshold the migration only records that the conversion is pending.
    expect(await migrate(db, { settings: { 'ticket_vault.messages_partition_max_rows': '10' } })).toContain(
      '014_messages_partitioned.sql',
    );
    expect(await messagesLayout(db)).toEqual({ partitioned: false, partitions: 0 });
    expect(await partitioningStatus(db)).toBe('pending');
    expect(await contents(db)).toEqual(before);

    // A run that dies after its second batch (Ctrl-C, a lost connection) leaves a cursor.
    let batches = 0;
    await expect(
      partitionMessages(db, {
        batchSize: 7,
        onProgress: () => {
          batches += 1;
          if (batches === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(await partitioningStatus(db)).toBe('copying');
    const cursor = await db.query('select cursor_tenant, copied from messages_partitioning');
    expect(cursor.rows).toEqual([{ cursor_tenant: 'loja-a', copied: '14' }]);
    expect(await messagesLayout(db)).toEqual({ partitioned: false, partitions: 0 });

    // Writes go on while the copy runs, to rows already copied and not yet copied: an upsert, a
    // purge of a ticket, a new ticket's messages. The swap must carry all of them over.
    const writes = async () => {
      await db.query(
        `update messages set text = 'edited', updated_at = now() where tenant_id = 'loja-a' and ticket_id = 'ticket-1' and message_id = 'msg-1-1'`,
      );
      await db.query(`delete from media where tenant_id = 'loja-e' and ticket_id = 'ticket-5'`);
      await db.query(`delete from messages where tenant_id = 'loja-e' and ticket_id = 'ticket-5'`);
      await db.query(`delete from media where tenant_id = 'loja-a' and ticket_id = 'ticket-2'`);
      await db.query(`delete from messages where tenant_id = 'loja-a' and ticket_id = 'ticket-2'`);
      // loja-a ticket-4 is half copied (msg-4-0, msg-4-1): a re-upserted page moves msg-4-1 away
      // and gives its position to msg-4-2, which the resumed copy has yet to reach.
      await db.query(
        `update messages set position = case message_id when 'msg-4-1' then 7 else 1 end, updated_at = now()
          where tenant_id = 'loja-a' and ticket_id = 'ticket-4' and message_id in ('msg-4-1', 'msg-4-2')`,
      );
      await db.query(
        `insert into tickets (tenant_id, ticket_id, customer_identity, raw) values ('loja-a', 'ticket-9', 'c9', '{}')`,
      );
      await db.query(
        `insert into messages (tenant_id, ticket_id, message_id, position, direction, type, text, raw, raw_sha256, in_ticket_window)
         values ('loja-a', 'ticket-9', 'msg-9-0', 0, 'bot', 'text/plain', 'late', '\\x00', 'h', true)`,
      );
    };
    await writes();
    const expected = await contents(db);
    expect(expected?.n).toBe(ROWS - 2 * MESSAGES_PER_TICKET + 1);

    let atSwap: Awaited<ReturnType<typeof contents>>;
    const result = await partitionMessages(db, {
      batchSize: 7,
      beforeSwap: async () => {
        // Written after every batch: only the change log can bring this over.
        await db.query(
          `update messages set text = 'edited again', updated_at = now() where tenant_id = 'loja-f' and message_id = 'msg-1-3'`,
        );
        atSwap = await contents(db);
      },
    });
    // The resumed run copied what the killed one had not (loja-a's first 14 rows not again).
    expect(result).toMatchObject({ status: 'done', rows: expected?.n, partitions: 16 });
    expect(result.copied).toBeLessThan(expected?.n as number);
    expect(result.caughtUp).toBeGreaterThanOrEqual(2);
    // Every row, every column, as the old table held them when the swap began.
    expect(await contents(db)).toEqual(atSwap);
    const edited = await db.query<{ text: string }>(
      `select text from messages where (tenant_id, message_id) in (('loja-a', 'msg-1-1'), ('loja-f', 'msg-1-3')) order by tenant_id`,
    );
    expect(edited.rows.map((r) => r.text)).toEqual(['edited', 'edited again']);
    await expectPartitionedLikeBefore(db);
    const after = await contents(db);

    // From the CLI, a second time: refused with the reason, nothing done, exit 0 (the goal holds).
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), tty: false };
    // Only `db` is used by this command.
    const deps = { db, close: async () => undefined } as unknown as CliDeps;
    expect(await runCli(['db', 'partition-messages'], { io, deps })).toBe(0);
    expect(out.join('')).toContain('already partitioned');
    out.length = 0;
    expect(await runCli(['db', 'partition-messages', '--json'], { io, deps })).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ status: 'already-partitioned', partitions: 16 });
    expect(await contents(db)).toEqual(after);
  } finally {
    await db.end();
    await drop();
  }
});

test('the CLI converts a pending table end to end; a bad batch size and a second run at once are refused', async () => {
  const { db, drop } = await databaseAt013();
  try {
    const before = await contents(db);
    // The migration parameter cannot smuggle in a server setting.
    await expect(migrate(db, { settings: { statement_timeout: '1' } })).rejects.toThrow(
      'setting statement_timeout is not ticket_vault.*',
    );
    expect(await messagesLayout(db)).toEqual({ partitioned: false, partitions: 0 });
    await migrate(db, { settings: { 'ticket_vault.messages_partition_max_rows': '10' } });
    expect(await partitioningStatus(db)).toBe('pending');
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), tty: false };
    const deps = { db, close: async () => undefined } as unknown as CliDeps;
    expect(await runCli(['db', 'partition-messages', '--batch-size', '0'], { io, deps })).toBe(2);
    expect(err.join('')).toContain('--batch-size');
    // A second run while one is going (here: its advisory lock held elsewhere) is refused, exit 1.
    const other = await db.connect();
    try {
      await other.query('select pg_advisory_lock(7413201014)');
      expect(await runCli(['db', 'partition-messages', '--json'], { io, deps })).toBe(1);
      expect(JSON.parse(out.join(''))).toMatchObject({
        status: 'refused',
        error: expect.stringContaining('another `db partition-messages` is running'),
      });
      out.length = 0;
      expect(await partitioningStatus(db)).toBe('pending');
    } finally {
      await other.query('select pg_advisory_unlock(7413201014)');
      other.release();
    }
    expect(await runCli(['db', 'partition-messages', '--batch-size', '50', '--json'], { io, deps })).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({
      status: 'done',
      copied: ROWS,
      rows: ROWS,
      partitions: 16,
    });
    expect(await contents(db)).toEqual(before);
    await expectPartitionedLikeBefore(db);
  } finally {
    await db.end();
    await drop();
  }
});

test('writers keep going through the online conversion: every committed write is in the partitioned table', async () => {
  const { db, drop } = await databaseAt013();
  try {
    await migrate(db, { settings: { 'ticket_vault.messages_partition_max_rows': '10' } });
    await db.query(
      `insert into tickets (tenant_id, ticket_id, customer_identity, raw) values ('loja-c', 'ticket-live', 'c', '{}')`,
    );
    // One writer, as the archive does it: a page upserted (new message, then the same row edited)
    // and a ticket purged, over and over, until the conversion is over.
    let stop = false;
    let written = 0;
    const writer = (async () => {
      while (!stop) {
        await db.query(
          `insert into messages (tenant_id, ticket_id, message_id, position, direction, type, text, raw, raw_sha256, in_ticket_window)
           values ('loja-c', 'ticket-live', $1, $2, 'bot', 'text/plain', 'v0', '\\x00', 'h', true)
           on conflict (tenant_id, ticket_id, message_id) do update set text = excluded.text`,
          [`live-${written}`, written],
        );
        await db.query(
          `update messages set text = $2 where tenant_id = 'loja-c' and ticket_id = 'ticket-live' and message_id = $1`,
          [`live-${written}`, `v${written}`],
        );
        written += 1;
      }
    })();
    const result = await partitionMessages(db, { batchSize: 5 });
    // A few more writes after the swap land in the new table.
    const at = written;
    while (written < at + 3) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await writer;

    expect(result).toMatchObject({ status: 'done', partitions: 16 });
    // The writer did write during the conversion, and the swap re-copied what it wrote.
    expect(at).toBeGreaterThan(0);
    expect(result.caughtUp).toBeGreaterThan(0);
    const live = await db.query<{ message_id: string; text: string }>(
      `select message_id, text from messages where tenant_id = 'loja-c' and ticket_id = 'ticket-live' order by position`,
    );
    expect(live.rows).toEqual(
      Array.from({ length: written }, (_, n) => ({ message_id: `live-${n}`, text: `v${n}` })),
    );
    expect((await contents(db))?.n).toBe(ROWS + written);
    await expectPartitionedLikeBefore(db);
  } finally {
    await db.end();
    await drop();
  }
});
