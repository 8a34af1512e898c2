-- Contact exports no longer name the contact in clear (issue 13). For kind = 'contact':
-- `target` is the contact's keyed fingerprint (`hmac-sha256:<hex>`, lib/retention/erasure-hash.ts),
-- which an erasure of that contact matches, and `target_sealed` the identity sealed with
-- ARCHIVE_ENCRYPTION_KEY (SecretBox, bound to tenant and export id), opened only to render the PDF.
-- SQL cannot compute a keyed hash, so rows written before this migration (identity in `target`,
-- `target_sealed` null) are rewritten by every process right after migrating, with its key
-- (lib/db/export-targets.ts sealLegacyExportTargets); until then they are read as before.
alter table exports add column if not exists target_sealed bytea;
create index if not exists exports_contact_unsealed_idx on exports (export_id)
  where kind = 'contact' and target_sealed is null;
