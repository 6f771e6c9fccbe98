-- Coarse rollups kept up by adding counts instead of recomputing days.
--
-- Until now each ingest statement appended one rollup_changes row per
-- (tenant, local day) it touched, and the compactor recomputed those whole
-- days and weeks from daily_rollups: under ingest spread over many days
-- (a bulk load, late responses) every round rewrote tens of thousands of
-- coarse cells and took CPU that ingest needed. Now a change row is one
-- daily_rollups cell and the counts the statement added to it; the
-- compactor adds the counts of the rows it takes to the coarse cells and
-- deletes those rows, in one transaction, so a round costs what was
-- ingested since the last one. A day stays pending for readers while any
-- of its change rows remains, so answers stay exact.
--
-- Servers of the previous version write day-only change rows, which this
-- table no longer accepts: stop them before migrating (tnps-server
-- --migrate_on_start does it in order).
--
-- Existing coarse cells are rebuilt: emptied, with every daily_rollups cell
-- queued as a change of its whole counts.

TRUNCATE rollup_changes, rollup_agent_days, rollup_agent_weeks, rollup_team_days,
  rollup_tenant_days;

ALTER TABLE rollup_changes
  ADD COLUMN agent_id text NOT NULL,
  ADD COLUMN team_id text NOT NULL,
  ADD COLUMN channel smallint NOT NULL,
  ADD COLUMN promoters bigint NOT NULL,
  ADD COLUMN passives bigint NOT NULL,
  ADD COLUMN detractors bigint NOT NULL;

INSERT INTO rollup_changes (tenant_id, local_day, agent_id, team_id, channel,
                            promoters, passives, detractors)
SELECT tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
FROM daily_rollups
ORDER BY tenant_id, local_day, agent_id, team_id, channel;
