-- Contact privacy and shared limits (issue 13).
-- 1. Contact exports no longer name the contact in clear (issue 13). For kind = 'contact':
-- `target` is the contact's keyed fingerprint (`hmac-sha256:<hex>`, lib/retention/erasure-hash.ts),
-- which an erasure of that contact matches, and `target_sealed` the identity sealed with
-- ARCHIVE_ENCRYPTION_KEY (SecretBox, bound to tenant and export id), opened only to render the PDF.
-- SQL cannot compute a keyed hash, so rows written before this migration (identity in `target`,
-- `target_sealed` null) are rewritten by every process right after migrating, with its key
-- (lib/db/export-targets.ts sealLegacyExportTargets); until then they are read as before.
alter table exports add column if not exists target_sealed bytea;
create index if not exists exports_contact_unsealed_idx on exports (export_id)
  where kind = 'contact' and target_sealed is null;

-- 2. Erasure requests forget the contact once the erasure is done (issue 13). What proves that an
-- erasure happened stays: the contact's keyed fingerprint, when it finished and what it deleted.
-- The sealed identity is dropped at completion (activities/retention.ts finishErasure).
alter table erasure_requests alter column identity_sealed drop not null;
alter table erasure_requests add column if not exists contact_hash text;
alter table erasure_requests add column if not exists completed_at timestamptz;
alter table erasure_requests add column if not exists outcome jsonb;
-- Requests whose erasure already finished before this migration: their `contact.erase` audit entry
-- (written once per run, the workflow id ends with the request id) holds the fingerprint and counts.
update erasure_requests r
   set identity_sealed = null,
       contact_hash = substr(a.target, length('contact:') + 1),
       completed_at = a.at,
       outcome = a.details
  from audit_log a
 where a.tenant_id = r.tenant_id and a.action = 'contact.erase'
   and position('/' || r.request_id || '/' in a.details->>'workflowRun') > 0;
alter table erasure_requests add constraint erasure_requests_identity_until_done
  check (identity_sealed is not null or completed_at is not null);

-- 3. Per-tenant concurrency caps shared by every API process (api/services/tenant-concurrency.ts):
-- one row per request in progress, counted under a per-(kind, tenant) advisory lock. A lease is
-- renewed while its request runs; one left by a process that died stops counting at expires_at.
create table if not exists tenant_leases (
  lease_id   uuid primary key,
  kind       text not null,
  tenant_id  text not null,
  expires_at timestamptz not null
);
create index if not exists tenant_leases_kind_tenant_idx on tenant_leases (kind, tenant_id, expires_at);
