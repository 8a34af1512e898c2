-- Export requests remember what was asked (a contact's date range) and what was produced.
alter table exports add column params jsonb;
alter table exports add column size bigint;
alter table exports add column message_count int;
create index exports_tenant_export_idx on exports (tenant_id, export_id);
