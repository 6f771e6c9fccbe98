-- When each change row was written, so that operators can see how far the
-- rollups are behind ingest: the compactor reports the age of the oldest
-- change row it has not folded in yet (tnps_compactor_lag_seconds).
-- now() is stable, so existing rows take the time of this migration without
-- a table rewrite.
ALTER TABLE rollup_changes ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now();
