import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createTestDatabase } from '../tools/harness/stack-env';

/**
 * How `messages` behaves unpartitioned, hash-partitioned by tenant and range-partitioned by the
 * ticket's month, at a size this machine allows (docs/performance.md "What it costs to grow").
 *
 *   npx tsx bench/partitions.ts [--rows 2000000] [--partitions 16]
 *
 * Builds three copies of a `messages`-shaped table in a scratch database (generate_series on the
 * server: 40 tenants with a skewed share, 20 messages per ticket, 36 months), then times what
 * retention and erasure do to it (lib/retention/purge.ts deletes a ticket's messages by
 * `(tenant_id, ticket_id)`), a ticket read, a tenant-wide scan and VACUUM, and reports sizes.
 * Not part of `npm run bench` (minutes at 10 M rows); prints a Markdown table.
 */

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('rows', 2_000_000);
const PARTS = arg('partitions', 16);
const PER_TICKET = 20;
const TENANTS = 40;
const MONTHS = 36;

// Columns as in lib/db/migrations/001_initial.sql, with the ticket's month (`ticket_month`) that a
// range scheme needs in the key (a ticket's messages may span months; sent_at may be null).
const columns = `
  tenant_id text not null, ticket_id text not null, message_id text not null, position int not null,
  direction text not null, sender text, sent_at timestamptz, type text not null, text text not null,
  content jsonb, raw bytea not null, raw_sha256 text not null, in_ticket_window boolean not null,
  ticket_month date not null, created_at timestamptz not null default now()`;

async function main() {
  const scratch = await createTestDatabase();
  const db = new pg.Client({ connectionString: scratch.url });
  await db.connect();
  const timed = async (sql: string, values: unknown[] = []) => {
    const t0 = performance.now();
    const r = await db.query(sql, values);
    return { ms: performance.now() - t0, rows: r.rowCount ?? 0, result: r };
  };
  try {
    // The keys migration 014 keeps: the primary key and the deferrable position key (the month
    // layout must add its partition key to both).
    const positionKey = 'unique (tenant_id, ticket_id, position) deferrable initially immediate';
    await db.query(
      `create table m_plain (${columns}, primary key (tenant_id, ticket_id, message_id), ${positionKey})`,
    );
    await db.query(
      `create table m_hash (${columns}, primary key (tenant_id, ticket_id, message_id), ${positionKey}) partition by hash (tenant_id)`,
    );
    for (let i = 0; i < PARTS; i++)
      await db.query(
        `create table m_hash_${String(i).padStart(2, '0')} partition of m_hash for values with (modulus ${PARTS}, remainder ${i})`,
      );
    await db.query(
      `create table m_month (${columns}, primary key (tenant_id, ticket_id, message_id, ticket_month), unique (tenant_id, ticket_id, position, ticket_month) deferrable initially immediate) partition by range (ticket_month)`,
    );
    for (let mo = 0; mo < MONTHS; mo++) {
      const from = new Date(Date.UTC(2023, mo, 1)).toISOString().slice(0, 10);
      const to = new Date(Date.UTC(2023, mo + 1, 1)).toISOString().slice(0, 10);
      await db.query(
        `create table m_month_${mo} partition of m_month for values from ('${from}') to ('${to}')`,
      );
    }
    // Tenant t gets a share ∝ 1/(t+1): a few large tenants, a long tail.
    const fill = (table: string) =>
      timed(
        `insert into ${table} (tenant_id, ticket_id, message_id, position, direction, sender, sent_at, type, text,
                               content, raw, raw_sha256, in_ticket_window, ticket_month)
         select 'tenant' || t, 'ticket-' || k, 'msg-' || n, (n % ${PER_TICKET}), 'customer', 'someone@example',
                timestamptz '2023-01-01' + make_interval(days => (k % (${MONTHS} * 30))),
                'text/plain', repeat('palavra ', 20) || n, jsonb_build_object('t', n),
                convert_to(repeat('x', 380), 'UTF8'), md5(n::text) || md5(k::text),
                true, date_trunc('month', timestamptz '2023-01-01' + make_interval(days => (k % (${MONTHS} * 30))))::date
           from generate_series(0, ${ROWS - 1}) as n,
                lateral (select n / ${PER_TICKET} as k) kk,
                lateral (select least(${TENANTS - 1}, floor(exp(ln(${TENANTS}) * ((k * 2654435761::bigint) % 1000) / 1000.0)) - 1)::int as t) tt`,
      );
    const rows: Array<[string, ...Array<string | number>]> = [];
    const round = (n: number) => Math.round(n * 10) / 10;
    for (const table of ['m_plain', 'm_hash', 'm_month']) {
      const insert = await fill(table);
      await db.query(`analyze ${table}`);
      const size = await db.query<{ total: string; idx: string }>(
        `select sum(pg_total_relation_size(c.oid))::bigint as total, sum(pg_indexes_size(c.oid))::bigint as idx
           from pg_class c where c.relname = $1 or c.relname like $1 || '\\_%' and c.relkind = 'r'`,
        [table],
      );
      // A ticket of the largest tenant (and of a small one): the read, then the purge's delete.
      const big = await db.query<{ ticket_id: string; ticket_month: string }>(
        `select ticket_id, ticket_month from ${table} where tenant_id = 'tenant0' limit 1 offset 1000`,
      );
      const bigTicket = big.rows[0]?.ticket_id ?? 'none';
      const read = await timed(
        `select * from ${table} where tenant_id = 'tenant0' and ticket_id = $1 order by position`,
        [bigTicket],
      );
      const del = await timed(`delete from ${table} where tenant_id = 'tenant0' and ticket_id = $1`, [
        bigTicket,
      ]);
      // A retention batch: 200 tickets of one tenant older than a cutoff (purge deletes ticket by ticket).
      const old = await db.query<{ ticket_id: string }>(
        `select distinct ticket_id from ${table} where tenant_id = 'tenant3' and sent_at < '2023-07-01' limit 200`,
      );
      const batch = await timed(`delete from ${table} where tenant_id = 'tenant3' and ticket_id = any($1)`, [
        old.rows.map((r) => r.ticket_id),
      ]);
      // A whole small tenant gone (offboarding or an erasure of every contact).
      const tenantGone = await timed(`delete from ${table} where tenant_id = 'tenant30'`);
      const count = await timed(`select count(*) from ${table} where tenant_id = 'tenant5'`);
      const vacuum = await timed(`vacuum ${table}`);
      rows.push([
        table,
        round(insert.ms / 1000),
        round(Number(size.rows[0]?.total ?? 0) / 1048576),
        round(Number(size.rows[0]?.idx ?? 0) / 1048576),
        round(read.ms),
        round(del.ms),
        `${round(batch.ms)} (${batch.rows})`,
        `${round(tenantGone.ms)} (${tenantGone.rows})`,
        round(count.ms),
        round(vacuum.ms / 1000),
      ]);
      await db.query(`drop table ${table}`);
    }
    console.log(
      `\n${ROWS} messages, ${TENANTS} tenants, ${PER_TICKET} per ticket, ${PARTS} hash partitions or ${MONTHS} month partitions\n`,
    );
    const head = [
      'layout',
      'insert s',
      'total MB',
      'index MB',
      'read ticket ms',
      'delete ticket ms',
      'delete 200 tickets ms (rows)',
      'delete a tenant ms (rows)',
      'count a tenant ms',
      'vacuum s',
    ];
    console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } finally {
    await db.end();
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
