-- ticket-vault initial schema. Postgres is the source of truth (docs/architecture.md rule 5): everything in
-- Typesense is rebuilt from these tables. Every table carries tenant_id and every lookup index
-- starts with it, because every query is scoped to one tenant (rule 6).
-- Applied migrations are immutable: change the schema with a new numbered file.

create table tenants (
  tenant_id       text primary key,          -- bot identifier, e.g. atendimentolatam
  bot_identity    text not null,             -- atendimentolatam@msging.net
  key_sealed      text not null,             -- "Key …" sealed with AES-256-GCM (lib/crypto/secret-box)
  key_fingerprint text not null,             -- HMAC of the key: compare without decrypting
  commands_url    text,                      -- null = the installation's BLIP_API_URL
  name            text,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);

create table tickets (
  tenant_id            text not null references tenants (tenant_id),
  ticket_id            text not null,
  sequential_id        int,
  sequential_suffix    text,
  customer_identity    text not null,
  customer_domain      text,
  channel              text,
  contact_identity     text,
  contact_name         text,
  contact_phone        text,                 -- as Blip's contact had it (E.164-ish)
  contact_email        text,
  contact              jsonb,                -- raw contact resource; null = no contact
  tunnel_originator    text,                 -- real customer identity behind a router bot
  agent_identity       text,
  team                 text,
  status               text,                 -- stored as Blip sent it, unknown values included
  closed               boolean,
  closed_by            text,
  tags                 text[] not null default '{}',
  storage_date         timestamptz,
  open_date            timestamptz,
  close_date           timestamptz,
  parent_sequential_id int,
  raw                  jsonb not null,       -- the ticket resource as Blip sent it
  -- Sealing (written only once the whole ticket is archived):
  message_count        int,
  media_count          int,
  window_start         timestamptz,          -- this ticket's part of the customer's thread
  window_end           timestamptz,
  digest               text,                 -- lib/integrity/digest.ts, ticket-vault-digest v1
  archived_at          timestamptz,
  indexed_at           timestamptz,          -- last successful Typesense indexing
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  primary key (tenant_id, ticket_id)
);

create index tickets_close_date_idx on tickets (tenant_id, close_date desc);
create index tickets_sequential_idx on tickets (tenant_id, sequential_id);
create index tickets_customer_idx on tickets (tenant_id, customer_identity);
create index tickets_phone_idx on tickets (tenant_id, contact_phone);
create index tickets_contact_name_idx on tickets (tenant_id, lower(contact_name));
-- The reindex sweeper: archived tickets whose index is missing or stale.
create index tickets_needing_index_idx on tickets (archived_at)
  where archived_at is not null and (indexed_at is null or indexed_at < archived_at);

create table messages (
  tenant_id       text not null,
  ticket_id       text not null,
  message_id      text not null,
  position        int not null,              -- 0-based, the order Blip returned (ascending)
  direction       text not null check (direction in ('customer', 'agent', 'bot', 'system')),
  sender          text,
  sent_at         timestamptz,               -- null when Blip sent no readable date
  type            text not null,
  text            text not null,             -- display/search text, U+0000 replaced
  content         jsonb,                     -- Blip content, U+0000 replaced so jsonb accepts it
  raw             bytea not null,            -- exact UTF-8 JSON of the item as received (lossless)
  raw_sha256      text not null,             -- sha-256 hex of raw: the message's evidence hash
  in_ticket_window boolean not null,         -- Blip returns the surrounding thread too (docs/blip-api.md §3)
  status          text,
  reason          jsonb,
  metadata        jsonb,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  primary key (tenant_id, ticket_id, message_id),
  -- Deferrable so it is checked at the end of each statement, not per row: a page re-upserted
  -- after Blip's list shifted may swap positions between rows inside one statement.
  constraint messages_position_key unique (tenant_id, ticket_id, position) deferrable initially immediate,
  foreign key (tenant_id, ticket_id) references tickets (tenant_id, ticket_id)
);
-- (tenant_id, ticket_id, position) is indexed by messages_position_key.

create table media (
  tenant_id     text not null,
  ticket_id     text not null,
  message_id    text not null,
  ordinal       int not null check (ordinal >= 0),  -- 0.. within the message content
  original_uri  text not null,                      -- kept for the record, never re-served
  declared_type text,
  declared_size bigint,
  title         text,
  status        text not null default 'pending' check (status in ('pending', 'stored', 'unavailable')),
  reason        text,                               -- why unavailable
  sha256        text,
  size          bigint,
  content_type  text,
  storage_key   text,                               -- <tenant>/media/<sha256>
  stored_at     timestamptz,
  primary key (tenant_id, ticket_id, message_id, ordinal),
  foreign key (tenant_id, ticket_id, message_id) references messages (tenant_id, ticket_id, message_id)
);
create index media_sha256_idx on media (tenant_id, sha256);
create index media_status_idx on media (tenant_id, ticket_id, status);

create table audit_log (
  id        bigserial primary key,
  tenant_id text not null,
  actor     text not null,
  action    text not null,
  target    text not null,
  at        timestamptz not null default now(),
  details   jsonb
);
create index audit_log_tenant_at_idx on audit_log (tenant_id, at desc);

create table exports (
  export_id    uuid primary key,
  tenant_id    text not null,
  kind         text not null check (kind in ('ticket', 'contact')),
  target       text not null,
  requested_by text not null,
  status       text not null check (status in ('running', 'done', 'failed')),
  storage_key  text,
  sha256       text,
  pages        int,
  error        text,
  created_at   timestamptz not null default now(),
  finished_at  timestamptz
);
create index exports_tenant_created_idx on exports (tenant_id, created_at desc);
