-- Text read from stored media (issue 18): OCR of images, the text layer (or OCR) of PDF pages,
-- plain-text documents as they are. Derived data, never evidence: not part of any seal, rebuilt
-- at will with `ticket-vault extract-text --force`, shown as machine-read.
-- Content-addressed: one row per media object (tenant, sha-256) and engine version, so an image
-- sent to many tickets of a tenant is read once, and a newer engine reads it again beside the
-- old row. Keyed by tenant like the objects themselves (<tenant>/media/<sha256>), so no tenant
-- learns from a cache hit what another one holds, and erasure removes the text with the object.
-- status: ok (text, possibly empty) | unreadable (corrupt, over a pixel/page/byte cap: reason) |
-- timeout | failed (the engine crashed or ran out of memory: reason).
-- parts: [{"page": n|null, "source": "ocr"|"text-layer"|"plain", "text": "..."}] in order.
create table if not exists media_text (
  tenant_id      text not null,
  sha256         text not null,
  engine         text not null,
  engine_version text not null,
  languages      text not null default '',
  status         text not null check (status in ('ok', 'unreadable', 'timeout', 'failed')),
  reason         text,
  parts          jsonb not null default '[]',
  chars          int not null default 0,
  seconds        real not null default 0,
  extracted_at   timestamptz not null default now(),
  primary key (tenant_id, sha256, engine, engine_version)
);
create index if not exists media_text_latest_idx on media_text (tenant_id, sha256, extracted_at desc);

-- The OCR languages of a tenant (Tesseract codes joined by '+', e.g. por+spa); null = the
-- installation's MEDIA_TEXT_LANGUAGES.
alter table tenants add column if not exists ocr_languages text;
