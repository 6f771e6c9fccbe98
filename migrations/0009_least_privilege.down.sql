-- Takes back what 0009 granted; the roles themselves stay (they belong to
-- the cluster, not to this database).
REVOKE SELECT ON ALL TABLES IN SCHEMA reporting FROM tnps_reporting;
REVOKE USAGE ON SCHEMA reporting FROM tnps_reporting;
REVOKE ALL ON tenants, api_keys, tenant_rate_limits, agents, responses, rollup_changes,
  daily_rollups, rollup_agent_days, rollup_agent_weeks, rollup_team_days, rollup_tenant_days,
  training_programs, training_completion_log, training_cohorts, training_enrollments
  FROM tnps_app;
