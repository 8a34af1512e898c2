-- Revocable read sessions and a history of each tenant's key (issue 13).
--   session_epoch : carried by every session token; a session whose epoch is not the tenant's
--                   current one is refused. Bumped when the tenant's bot key changes and by
--                   "log out everywhere" (POST /v1/session/revoke-all, ticket-vault tenants logout-all).
--   tenant_history: append-only record of key changes and revocations, never of the key itself.
alter table tenants add column session_epoch integer not null default 0;

create table tenant_history (
  id        bigserial primary key,
  tenant_id text not null references tenants (tenant_id),
  event     text not null check (event in ('key-stored', 'key-changed', 'sessions-revoked')),
  actor     text not null,
  at        timestamptz not null default now(),
  details   jsonb
);
create index tenant_history_tenant_at_idx on tenant_history (tenant_id, at desc);
