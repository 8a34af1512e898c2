-- Seal v2 (lib/integrity/seal-v2.ts, docs/evidence.md): append-only, signed, chained per tenant.
-- A ticket keeps every seal it was ever given; a re-archive whose content changed or a re-seal of a
-- v1 ticket adds a row. tickets.digest (v1) stays as it was.
create table seals (
  seal_id            uuid primary key,
  tenant_id          text not null,
  ticket_id          text not null,
  seq                bigint not null,          -- 1, 2, … per tenant: the chain order
  version            int not null check (version = 2),
  root               text not null,            -- Merkle root over the salted leaves (the digest)
  leaf_count         int not null check (leaf_count >= 1),
  previous_seal_hash text,                     -- seal_hash of the tenant's seal seq - 1 (null for seq 1)
  seal_hash          text not null,            -- sha-256 of the signed envelope bytes
  key_id             text not null,            -- RFC 7638 thumbprint of the Ed25519 public key
  signature          text not null,            -- base64 Ed25519 signature of the envelope bytes
  created_at         timestamptz not null,
  -- The sealed document (RFC 8785 JSON: records and salts), exact bytes. Null once the ticket was
  -- erased or expired: the envelope, root and chain stay, the personal data goes.
  data               bytea,
  erased_at          timestamptz,
  unique (tenant_id, seq),
  check ((data is null) = (erased_at is not null))
);
create index seals_ticket_idx on seals (tenant_id, ticket_id, seq desc);

-- Append-only at the database: nobody using the application's role can rewrite or drop a seal.
-- The one change allowed is the erasure of its data (data -> null with erased_at set), which
-- leaves every signed field as it was.
create function seals_append_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'TRUNCATE' then
    raise exception 'seals are append-only: truncate refused' using errcode = 'insufficient_privilege';
  end if;
  if tg_op = 'DELETE' then
    raise exception 'seals are append-only: delete of seal % refused', old.seal_id
      using errcode = 'insufficient_privilege';
  end if;
  if old.data is not null and new.data is null and old.erased_at is null and new.erased_at is not null
     and (to_jsonb(new) - 'data' - 'erased_at') = (to_jsonb(old) - 'data' - 'erased_at') then
    return new;
  end if;
  raise exception 'seals are append-only: update of seal % refused', old.seal_id
    using errcode = 'insufficient_privilege';
end $$;

create trigger seals_append_only before update or delete on seals
  for each row execute function seals_append_only();
create trigger seals_no_truncate before truncate on seals
  for each statement execute function seals_append_only();

-- Local development only (NODE_ENV != production, API on loopback, no SEAL_SIGNING_KEY): the
-- installation's signing key, generated once, so the API, worker and CLI sign and verify alike.
create table seal_dev_key (
  only_one    boolean primary key default true check (only_one),
  private_pem text not null,
  created_at  timestamptz not null default now()
);
