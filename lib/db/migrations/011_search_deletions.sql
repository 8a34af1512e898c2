-- Tickets a purge (retention or erasure) is removing from search, recorded before their documents
-- are deleted: a full reindex copies Postgres into new collections while a purge may run, so after
-- the alias swap it deletes again the documents of every ticket recorded here since it started and
-- no longer archived (activities/ops.ts reindexReplayDeletions). Ids only, no content.
create table if not exists search_deletions (
  tenant_id text not null,
  ticket_id text not null,
  deleted_at timestamptz not null default now()
);
create index if not exists search_deletions_deleted_at on search_deletions (deleted_at);
