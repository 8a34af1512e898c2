-- The media mirror's per-item budget (issue 13): a link that keeps failing (429/5xx, DNS, a body
-- that trickles or breaks) is recorded unavailable after MEDIA_MAX_ATTEMPTS attempts or
-- MEDIA_MAX_WAIT_SECONDS after its first failure, so one hostile link cannot keep a ticket from
-- being sealed. Counted here, on the row, so the count outlives worker restarts and new runs.
-- attempts: attempts started and not handed back (an attempt that failed on our side, e.g. the
-- object store, is handed back); first_failure_at / last_error: the link's first and latest failure.
-- Existing rows start at 0 / null; adding columns with constant defaults rewrites no table.
alter table media
  add column attempts         int not null default 0 check (attempts >= 0),
  add column first_failure_at timestamptz,
  add column last_error       text;
