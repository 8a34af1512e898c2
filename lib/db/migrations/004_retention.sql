-- Retention, legal hold and erasure (issue 9).
-- retention_days: archived tickets whose close date is older than this many days are deleted by the
-- applyRetention workflow; null keeps them forever (the default).
alter table tenants add column retention_days int check (retention_days is null or retention_days > 0);

-- A hold on one ticket (target = ticket_id) or on one contact (target = identity, matched against a
-- ticket's customer_identity, contact_identity and tunnel_originator) blocks retention and erasure.
-- Holds are never deleted: releasing one stamps released_at, so the history of holds stays.
create table legal_holds (
  hold_id     bigserial primary key,
  tenant_id   text not null,
  kind        text not null check (kind in ('ticket', 'contact')),
  target      text not null,
  reason      text not null,
  created_by  text not null,
  created_at  timestamptz not null default now(),
  released_at timestamptz,
  released_by text
);
-- At most one active hold per target; lookups of active holds by target.
create unique index legal_holds_active_idx on legal_holds (tenant_id, kind, target) where released_at is null;

-- Erasure finds a contact's tickets by any of the three identities.
create index tickets_contact_identity_idx on tickets (tenant_id, contact_identity);
create index tickets_tunnel_originator_idx on tickets (tenant_id, tunnel_originator);
-- Purges find the exports of a ticket or a contact.
create index exports_target_idx on exports (tenant_id, kind, target);
