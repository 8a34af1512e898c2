-- Erasure requests (lib/retention/erasure-requests.ts): the eraseContact workflow carries only the
-- request id, so the contact identity never sits in clear in Temporal history; the activities read
-- it from here. identity_sealed is the SecretBox-sealed identity (UTF-8 of `v1.<iv>.<tag>.<data>`,
-- bound to tenant and request id), opened only with ARCHIVE_ENCRYPTION_KEY.
create table if not exists erasure_requests (
  request_id text primary key,
  tenant_id text not null,
  identity_sealed bytea not null,
  requested_by text not null,
  created_at timestamptz not null default now()
);
