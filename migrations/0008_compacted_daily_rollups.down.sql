-- Back to daily_rollups kept at ingest: every pending change row is added
-- to every rollup table, daily_rollups included, and deleted, and the
-- reporting views read daily_rollups alone again.

WITH taken AS (
  DELETE FROM rollup_changes
  RETURNING tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
),
daily AS (
  INSERT INTO daily_rollups AS r (tenant_id, local_day, agent_id, team_id, channel,
                                  promoters, passives, detractors)
  SELECT tenant_id, local_day, agent_id, team_id, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (tenant_id, local_day, agent_id, team_id, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
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

CREATE OR REPLACE VIEW reporting.daily_counts WITH (security_barrier) AS
SELECT local_day, agent_id, team_id, reporting.channel_name(channel) AS channel,
       promoters, passives, detractors, promoters + passives + detractors AS responses
FROM public.daily_rollups
WHERE tenant_id = reporting.current_tenant();

CREATE OR REPLACE VIEW reporting.daily_nps_by_agent WITH (security_barrier) AS
SELECT local_day, agent_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM public.daily_rollups
WHERE tenant_id = reporting.current_tenant()
GROUP BY local_day, agent_id;

CREATE OR REPLACE VIEW reporting.daily_nps_by_team WITH (security_barrier) AS
SELECT local_day, team_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM public.daily_rollups
WHERE tenant_id = reporting.current_tenant()
GROUP BY local_day, team_id;

CREATE OR REPLACE VIEW reporting.daily_nps_by_channel WITH (security_barrier) AS
SELECT local_day, reporting.channel_name(channel) AS channel,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM public.daily_rollups
WHERE tenant_id = reporting.current_tenant()
GROUP BY local_day, channel;
