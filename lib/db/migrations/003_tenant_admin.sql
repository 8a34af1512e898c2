-- Operator decisions about bots (`ticket-vault tenants allow|disable`). A row may exist before the
-- bot's first webhook (pre-authorisation), so there is no foreign key to tenants.
--   allowed  : on the database allowlist; once any bot is allowed, only listed bots (here or in
--              ALLOWED_BOTS) may use the webhook.
--   disabled : webhooks refused (403 naming the bot) and no archive is started for it; what it
--              has archived stays readable.
create table tenant_access (
  tenant_id  text primary key,
  access     text not null check (access in ('allowed', 'disabled')),
  changed_by text not null,
  changed_at timestamptz not null default now()
);
create index tenant_access_allowed_idx on tenant_access (access) where access = 'allowed';
