-- Least privilege: tnps-server connects as tnps_app, which gets exactly the
-- table privileges its statements need and owns nothing; BI logins read the
-- reporting views through membership of tnps_reporting. Both roles, and
-- tnps_owner, which runs migrations and owns every table, are created by
-- `tnpsctl db-setup` (docs/security.md). A migration that adds a table or
-- a reporting view grants what it needs here, explicitly.

DO $$
BEGIN
  IF (SELECT count(*) FROM pg_roles WHERE rolname IN ('tnps_app', 'tnps_reporting')) < 2 THEN
    RAISE EXCEPTION 'roles tnps_app and tnps_reporting are missing: run tnpsctl db-setup as a '
                    'PostgreSQL superuser first (docs/security.md)';
  END IF;
END
$$;

-- Read to authenticate, apply rate limits and cut local days.
GRANT SELECT ON tenants, api_keys, tenant_rate_limits TO tnps_app;
-- Ingest and the roster.
GRANT SELECT, INSERT, UPDATE ON agents TO tnps_app;
GRANT SELECT, INSERT ON responses TO tnps_app;
-- Ingest appends change rows; the compactor adds them to the rollups and
-- deletes them.
GRANT SELECT, INSERT, DELETE ON rollup_changes TO tnps_app;
GRANT SELECT, INSERT, UPDATE ON daily_rollups, rollup_agent_days, rollup_agent_weeks,
  rollup_team_days, rollup_tenant_days TO tnps_app;
-- Training. UPDATE on cohorts is for the share lock that enrolment takes.
GRANT SELECT, INSERT ON training_programs, training_completion_log TO tnps_app;
GRANT SELECT, INSERT, UPDATE ON training_cohorts, training_enrollments TO tnps_app;

GRANT USAGE ON SCHEMA reporting TO tnps_reporting;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO tnps_reporting;
