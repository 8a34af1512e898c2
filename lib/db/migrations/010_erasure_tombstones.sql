-- Erased tickets and contacts, by a keyed hash only (lib/retention/erasure-hash.ts): a later
-- webhook, backfill or re-archive of an erased ticket is refused without the archive naming what
-- was erased. Append-only; key_hash is HMAC-SHA256 under a key derived from ARCHIVE_ENCRYPTION_KEY.
create table if not exists erasure_tombstones (
  tenant_id text not null,
  kind text not null check (kind in ('ticket', 'contact')),
  key_hash text not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, kind, key_hash)
);
