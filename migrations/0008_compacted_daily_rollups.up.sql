-- daily_rollups joins the coarse rollups behind the compactor.
--
-- Until now each ingest statement upserted a daily_rollups cell per cell it
-- touched and appended the same counts to rollup_changes. The upsert was a
-- third of an ingest statement's database time (a unique-index probe, a row
-- version and a foreign-key check per cell), and two writers whose batches
-- shared a cell waited on each other's commit. Now ingest only appends the
-- change rows; the compactor adds them to daily_rollups as it does to the
-- coarse tables. Every rollup table then holds exactly the change rows
-- already compacted, so a reader adds the pending change rows of its range
-- to whichever table it reads, in the same snapshot, and stays exact.
--
-- Servers of the previous version upsert daily_rollups at ingest: stop them
-- before migrating (tnps-server --migrate_on_start does it in order).
--
-- The pending change rows are already in daily_rollups: they are added to
-- the coarse tables alone here, and deleted.

WITH taken AS (
  DELETE FROM rollup_changes
  RETURNING tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
),
agent_days AS (
  INSERT INTO rollup_agent_days AS r (tenant_id, local_day, agent_id, team_id,
                                      promoters, passives, detractors)
  SELECT tenant_id, local_day, agent_id, team_id, sum(promoters), sum(passives), sum(detractors)
  FROM taken GROUP BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, local_day, agent_id, team_id) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
agent_weeks AS (
  INSERT INTO rollup_agent_weeks AS r (tenant_id, week_start, agent_id, team_id,
                                       promoters, passives, detractors)
  SELECT tenant_id, date_trunc('week', local_day::timestamp)::date, agent_id, team_id,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken GROUP BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, week_start, agent_id, team_id) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
team_days AS (
  INSERT INTO rollup_team_days AS r (tenant_id, local_day, team_id, channel,
                                     promoters, passives, detractors)
  SELECT tenant_id, local_day, team_id, channel, sum(promoters), sum(passives), sum(detractors)
  FROM taken GROUP BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, local_day, team_id, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
)
INSERT INTO rollup_tenant_days AS r (tenant_id, local_day, channel,
                                     promoters, passives, detractors)
SELECT tenant_id, local_day, channel, sum(promoters), sum(passives), sum(detractors)
FROM taken GROUP BY 1, 2, 3
ON CONFLICT (tenant_id, local_day, channel) DO UPDATE
SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
    detractors = r.detractors + excluded.detractors;

-- The reporting views add the pending change rows to daily_rollups, with
-- the same columns and types as before, so that BI roles keep their grants.
CREATE OR REPLACE VIEW reporting.daily_counts WITH (security_barrier) AS
SELECT local_day, agent_id, team_id, reporting.channel_name(channel) AS channel,
       sum(promoters)::bigint AS promoters, sum(passives)::bigint AS passives,
       sum(detractors)::bigint AS detractors,
       sum(promoters + passives + detractors)::bigint AS responses
FROM (SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.daily_rollups WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY local_day, agent_id, team_id, c.channel;

CREATE OR REPLACE VIEW reporting.daily_nps_by_agent WITH (security_barrier) AS
SELECT local_day, agent_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.daily_rollups WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY local_day, agent_id;

CREATE OR REPLACE VIEW reporting.daily_nps_by_team WITH (security_barrier) AS
SELECT local_day, team_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.daily_rollups WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY local_day, team_id;

CREATE OR REPLACE VIEW reporting.daily_nps_by_channel WITH (security_barrier) AS
SELECT local_day, reporting.channel_name(channel) AS channel,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.daily_rollups WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY local_day, c.channel;
