-- Views for BI tools over weeks and months, and over attribute dimensions.
--
-- A two-year weekly query per team over reporting.daily_nps_by_team read
-- every daily_rollups cell of the range (about 300 ms at 10M responses,
-- where the API answers in a few). The weekly and monthly views read two
-- new coarse tables per team instead, kept by the compactor like the
-- others: they hold exactly the change rows compacted so far, and the
-- views add the pending ones, so they stay exact.
--
-- The new tables start from rollup_team_days, which holds the same
-- compacted changes; the compaction lock keeps a round from running
-- between the two.
SELECT pg_advisory_xact_lock(1953394803);

CREATE TABLE rollup_team_weeks (
  tenant_id  bigint NOT NULL,
  week_start date NOT NULL,
  team_id    text NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, week_start, team_id, channel)
);

CREATE TABLE rollup_team_months (
  tenant_id   bigint NOT NULL,
  month_start date NOT NULL,
  team_id     text NOT NULL,
  channel     smallint NOT NULL,
  promoters   bigint NOT NULL,
  passives    bigint NOT NULL,
  detractors  bigint NOT NULL,
  PRIMARY KEY (tenant_id, month_start, team_id, channel)
);

INSERT INTO rollup_team_weeks
SELECT tenant_id, date_trunc('week', local_day::timestamp)::date, team_id, channel,
       sum(promoters), sum(passives), sum(detractors)
FROM rollup_team_days GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_team_months
SELECT tenant_id, date_trunc('month', local_day::timestamp)::date, team_id, channel,
       sum(promoters), sum(passives), sum(detractors)
FROM rollup_team_days GROUP BY 1, 2, 3, 4;

GRANT SELECT, INSERT, UPDATE ON rollup_team_weeks, rollup_team_months TO tnps_app;

-- Weeks (Monday to Sunday) and months of the tenant's local days, per team
-- and for the whole tenant. A week or month at either end of the data may
-- be partial; `first_day` and `last_day` say which days it has responses on.
CREATE VIEW reporting.weekly_nps_by_team WITH (security_barrier) AS
SELECT week_start, team_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT week_start, team_id, promoters, passives, detractors
      FROM public.rollup_team_weeks WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT date_trunc('week', local_day::timestamp)::date, team_id, promoters, passives,
             detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY week_start, team_id
HAVING sum(promoters + passives + detractors) <> 0;

CREATE VIEW reporting.monthly_nps_by_team WITH (security_barrier) AS
SELECT month_start, team_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT month_start, team_id, promoters, passives, detractors
      FROM public.rollup_team_months WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT date_trunc('month', local_day::timestamp)::date, team_id, promoters, passives,
             detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY month_start, team_id
HAVING sum(promoters + passives + detractors) <> 0;

CREATE VIEW reporting.weekly_nps WITH (security_barrier) AS
SELECT week_start,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT date_trunc('week', local_day::timestamp)::date AS week_start, promoters,
             passives, detractors
      FROM public.rollup_tenant_days WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT date_trunc('week', local_day::timestamp)::date, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY week_start
HAVING sum(promoters + passives + detractors) <> 0;

CREATE VIEW reporting.monthly_nps WITH (security_barrier) AS
SELECT month_start,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT date_trunc('month', local_day::timestamp)::date AS month_start, promoters,
             passives, detractors
      FROM public.rollup_tenant_days WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT date_trunc('month', local_day::timestamp)::date, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY month_start
HAVING sum(promoters + passives + detractors) <> 0;

-- Attribute dimensions (migration 0020): the declared keys, and daily
-- counts per key and value, whole tenant or per team. Only keys whose
-- back-fill is done: before, their counts lack older responses.
CREATE VIEW reporting.attribute_dimensions WITH (security_barrier) AS
SELECT attr_key, declared_at, backfilled_below >= counted_from AS ready, backfill_done_at
FROM public.attribute_dimensions
WHERE tenant_id = reporting.current_tenant();

CREATE VIEW reporting.daily_nps_by_attribute WITH (security_barrier) AS
SELECT c.local_day, c.attr_key, c.attr_value,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT attr_key, local_day, attr_value, promoters, passives, detractors
      FROM public.attribute_days WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT attr_key, local_day, attr_value, promoters, passives, detractors
      FROM public.attribute_changes WHERE tenant_id = reporting.current_tenant()) c
JOIN public.attribute_dimensions d
  ON d.tenant_id = reporting.current_tenant() AND d.attr_key = c.attr_key
 AND d.backfilled_below >= d.counted_from
GROUP BY c.local_day, c.attr_key, c.attr_value
HAVING sum(promoters + passives + detractors) <> 0;

CREATE VIEW reporting.daily_nps_by_attribute_and_team WITH (security_barrier) AS
SELECT c.local_day, c.attr_key, c.attr_value, c.team_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT attr_key, team_id, local_day, attr_value, promoters, passives, detractors
      FROM public.attribute_team_days WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT attr_key, team_id, local_day, attr_value, promoters, passives, detractors
      FROM public.attribute_changes WHERE tenant_id = reporting.current_tenant()) c
JOIN public.attribute_dimensions d
  ON d.tenant_id = reporting.current_tenant() AND d.attr_key = c.attr_key
 AND d.backfilled_below >= d.counted_from
GROUP BY c.local_day, c.attr_key, c.attr_value, c.team_id
HAVING sum(promoters + passives + detractors) <> 0;

GRANT SELECT ON reporting.weekly_nps_by_team, reporting.monthly_nps_by_team,
  reporting.weekly_nps, reporting.monthly_nps, reporting.attribute_dimensions,
  reporting.daily_nps_by_attribute, reporting.daily_nps_by_attribute_and_team
  TO tnps_reporting;
