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

DROP TABLE xid_marks, retention_progress, retention_policies, suppressed_external_ids,
  response_tombstones, excluded_agent_counts, excluded_agents;
DROP INDEX daily_rollups_by_agent, responses_by_customer, responses_excluded, responses_by_change;
ALTER TABLE daily_rollups
  ADD CONSTRAINT daily_rollups_promoters_check CHECK (promoters >= 0),
  ADD CONSTRAINT daily_rollups_passives_check CHECK (passives >= 0),
  ADD CONSTRAINT daily_rollups_detractors_check CHECK (detractors >= 0);
REVOKE DELETE, UPDATE ON responses FROM tnps_app;
ALTER TABLE responses
  DROP COLUMN redacted_at,
  DROP COLUMN exclusion_reason,
  DROP COLUMN excluded,
  DROP COLUMN changed_xid,
  DROP COLUMN changed_at,
  DROP COLUMN version;
