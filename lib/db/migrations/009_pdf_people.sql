-- A PDF for people (issue 15).
-- time_zone: the IANA zone the tenant's documents show dates in (validated against Intl by
-- lib/pdf/format.ts isTimeZone before it is stored; `ticket-vault tenants set-time-zone`).
alter table tenants add column time_zone text not null default 'America/Sao_Paulo';

-- What the export was rendered in and the file name people download it as
-- (e.g. ticket-1044-rafael-nogueira-2025-03-12.pdf). Null on exports made before this migration:
-- the API then falls back to the old ticket-vault-<kind>-<id>.pdf name.
alter table exports add column lang text;
alter table exports add column download_name text;
