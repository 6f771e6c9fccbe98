-- The `reporting` schema: read-only views for BI tools that speak SQL
-- (Grafana, Metabase, Tableau). A BI login role sees only these views and
-- only its own tenant's rows; it never sees comments, customer references
-- or any table directly. docs/reporting.md shows how to use them.

CREATE SCHEMA reporting;

-- Which database role reads which tenant. Rows are added by
-- `tnpsctl reporting-role create`.
CREATE TABLE reporting_roles (
  role_name  name PRIMARY KEY,
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The tenant of the calling role, or NULL (no rows) for any other role.
CREATE FUNCTION reporting.current_tenant() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT tenant_id FROM public.reporting_roles WHERE role_name = session_user
$$;

CREATE FUNCTION reporting.channel_name(channel smallint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (ARRAY['phone', 'chat', 'email', 'branch', 'video', 'other'])[channel]
$$;

-- Counts per local day, agent, team and channel: the finest grain.
CREATE VIEW reporting.daily_counts WITH (security_barrier) AS
SELECT local_day, agent_id, team_id, reporting.channel_name(channel) AS channel,
       promoters, passives, detractors, promoters + passives + detractors AS responses
FROM public.daily_rollups
WHERE tenant_id = reporting.current_tenant();

CREATE VIEW reporting.daily_nps_by_agent WITH (security_barrier) AS
SELECT local_day, agent_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM public.daily_rollups
WHERE tenant_id = reporting.current_tenant()
GROUP BY local_day, agent_id;

CREATE VIEW reporting.daily_nps_by_team WITH (security_barrier) AS
SELECT local_day, team_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM public.daily_rollups
WHERE tenant_id = reporting.current_tenant()
GROUP BY local_day, team_id;

CREATE VIEW reporting.daily_nps_by_channel WITH (security_barrier) AS
SELECT local_day, reporting.channel_name(channel) AS channel,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM public.daily_rollups
WHERE tenant_id = reporting.current_tenant()
GROUP BY local_day, channel;

-- BI roles get USAGE on the schema and SELECT on the views, nothing else.
REVOKE ALL ON SCHEMA reporting FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA reporting FROM PUBLIC;
