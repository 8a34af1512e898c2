-- `messages` partitioned by hash(tenant_id), 16 partitions (issue 17; the measurement and the
-- choice are in docs/performance.md "Postgres `messages`: partitioned by tenant hash"). A tenant's
-- erasure, retention batch, count or export then touches one partition and its index.
--
-- Keys and constraints keep their names and meaning: `messages_pkey` (tenant_id, ticket_id,
-- message_id) is still the upserts' `on conflict` target, `messages_position_key` is still unique
-- and deferrable initially immediate, the foreign key to `tickets` stays, and `media`'s foreign key
-- is re-pointed at the new table. Both keys contain tenant_id, which a partitioned table requires.
--
-- Converting means copying every row. When `messages` holds at most 200 000 rows (a copy of a
-- few seconds) it is done here, in this migration's transaction, under its exclusive lock. A
-- larger table is left as it is (the application works with either layout) and the conversion is
-- recorded as pending in `messages_partitioning`: the operator runs
-- `ticket-vault db partition-messages` (lib/db/partition-messages.ts), which copies online in
-- batches and swaps under a short lock (docs/operations.md). Deploys never hold `messages` locked
-- for minutes.
--
-- The threshold can be lowered for one migration run by `migrate(db, { settings:
-- { 'ticket_vault.messages_partition_max_rows': '10' } })` (tests exercise the large path that
-- way); production never sets it.

-- Whether the conversion was done and, for the online copy, where it is (one row).
create table if not exists messages_partitioning (
  singleton      boolean primary key default true check (singleton),
  status         text not null check (status in ('pending', 'copying', 'done')),
  max_rows       bigint not null,         -- the threshold the migration compared with
  rows_counted   bigint not null,         -- rows seen by the migration (counted up to max_rows + 1)
  cursor_tenant  text,                    -- online copy: the tenant being copied (earlier ones are done)
  cursor_ticket  text,                    -- … and the last (ticket_id, message_id) copied in it
  cursor_message text,
  copied         bigint not null default 0,
  recorded_at    timestamptz not null default now(),
  started_at     timestamptz,
  finished_at    timestamptz
);

-- The empty partitioned table `messages_p` with the keys under temporary names, and its 16
-- partitions `messages_h00`…`messages_h15` (these names stay after the swap). Columns, not-null,
-- defaults and checks come from `messages` as it is when called (LIKE), so `insert … select *`
-- copies column for column. Idempotent: does nothing when `messages_p` exists.
create or replace function messages_partition_prepare() returns void language plpgsql as $$
begin
  if to_regclass('messages_p') is not null then
    return;
  end if;
  create table messages_p (
    like messages including defaults including constraints including storage including comments
  ) partition by hash (tenant_id);
  alter table messages_p add constraint messages_p_pkey primary key (tenant_id, ticket_id, message_id);
  -- Deferrable so it is checked at the end of each statement, not per row (see 001_initial.sql).
  alter table messages_p add constraint messages_p_position_key
    unique (tenant_id, ticket_id, position) deferrable initially immediate;
  alter table messages_p add constraint messages_p_ticket_fkey
    foreign key (tenant_id, ticket_id) references tickets (tenant_id, ticket_id);
  for i in 0..15 loop
    execute format(
      'create table messages_h%s partition of messages_p for values with (modulus 16, remainder %s)',
      lpad(i::text, 2, '0'), i);
  end loop;
end $$;

-- The swap, once `messages_p` holds every row and the caller holds `messages` and `media` in
-- access exclusive mode: drop media's foreign key and the old table, give the new table and its
-- keys the old names, and re-add media's foreign key NOT VALID (the caller validates it, which
-- does not block writes). The old table is dropped rather than kept: a copy left behind would
-- keep an erased contact's messages and would block ticket deletes through its foreign key.
create or replace function messages_partition_swap() returns void language plpgsql as $$
declare
  fk record;
begin
  for fk in
    select conname from pg_constraint
     where conrelid = 'media'::regclass and confrelid = 'messages'::regclass and contype = 'f'
  loop
    execute format('alter table media drop constraint %I', fk.conname);
  end loop;
  drop table messages;
  alter table messages_p rename to messages;
  alter table messages rename constraint messages_p_pkey to messages_pkey;
  alter table messages rename constraint messages_p_position_key to messages_position_key;
  alter table messages rename constraint messages_p_ticket_fkey to messages_tenant_id_ticket_id_fkey;
  alter table media add constraint media_tenant_id_ticket_id_message_id_fkey
    foreign key (tenant_id, ticket_id, message_id) references messages (tenant_id, ticket_id, message_id)
    not valid;
end $$;

do $$
declare
  threshold bigint := coalesce(
    nullif(current_setting('ticket_vault.messages_partition_max_rows', true), '')::bigint, 200000);
  n_counted bigint;
  n_copied bigint;
begin
  if exists (select 1 from pg_partitioned_table where partrelid = 'messages'::regclass) then
    insert into messages_partitioning (status, max_rows, rows_counted, finished_at)
    values ('done', threshold, 0, now()) on conflict (singleton) do nothing;
    return;
  end if;
  -- Bounded: never reads more than threshold + 1 rows, whatever the table's size.
  execute format('select count(*) from (select 1 from messages limit %s) s', threshold + 1) into n_counted;
  if n_counted > threshold then
    insert into messages_partitioning (status, max_rows, rows_counted) values ('pending', threshold, n_counted);
    raise notice 'messages holds more than % rows: partitioning is pending, run `ticket-vault db partition-messages`', threshold;
    return;
  end if;

  lock table messages, media in access exclusive mode;
  perform messages_partition_prepare();
  insert into messages_p select * from messages;
  get diagnostics n_copied = row_count;
  if n_copied <> (select count(*) from messages) then
    raise exception 'messages partitioning copied % rows, expected %', n_copied, (select count(*) from messages);
  end if;
  perform messages_partition_swap();
  alter table media validate constraint media_tenant_id_ticket_id_message_id_fkey;
  insert into messages_partitioning (status, max_rows, rows_counted, copied, started_at, finished_at)
  values ('done', threshold, n_counted, n_copied, now(), now());
end $$;
