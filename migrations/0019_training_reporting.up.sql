-- Training records for BI tools, through the reporting schema like the NPS
-- views: each BI login sees its own tenant's programmes, cohorts,
-- enrolments and completions, with money in currency units, completion
-- days in the tenant's time zone, and whether an agent is excluded from
-- analysis. docs/reporting.md shows how to join them with the NPS views.

CREATE VIEW reporting.training_programs WITH (security_barrier) AS
SELECT program_id, name, description, hours_per_participant,
       cost_per_hour_micros / 1e6 AS cost_per_hour, currency_code,
       value_per_point_micros / 1e6 AS value_per_nps_point, created_at
FROM public.training_programs
WHERE tenant_id = reporting.current_tenant();

CREATE VIEW reporting.training_enrollments WITH (security_barrier) AS
SELECT e.program_id, e.cohort_id, e.agent_id, a.team_id, e.enrolled_at, e.completed_at,
       (e.completed_at AT TIME ZONE t.time_zone)::date AS completion_day,
       (x.agent_id IS NOT NULL) AS agent_excluded
FROM public.training_enrollments e
JOIN public.tenants t ON t.tenant_id = e.tenant_id
JOIN public.agents a ON a.tenant_id = e.tenant_id AND a.agent_id = e.agent_id
LEFT JOIN public.excluded_agents x ON x.tenant_id = e.tenant_id AND x.agent_id = e.agent_id
WHERE e.tenant_id = reporting.current_tenant();

CREATE VIEW reporting.training_cohorts WITH (security_barrier) AS
SELECT c.program_id, c.cohort_id, c.name, c.planned_start, c.planned_end,
       count(e.agent_id) AS enrolled_agents, count(e.completed_at) AS completed_agents,
       min((e.completed_at AT TIME ZONE t.time_zone)::date) AS first_completion_day,
       max((e.completed_at AT TIME ZONE t.time_zone)::date) AS last_completion_day
FROM public.training_cohorts c
JOIN public.tenants t ON t.tenant_id = c.tenant_id
LEFT JOIN public.training_enrollments e
  ON e.tenant_id = c.tenant_id AND e.cohort_id = c.cohort_id
WHERE c.tenant_id = reporting.current_tenant()
GROUP BY c.program_id, c.cohort_id, c.name, c.planned_start, c.planned_end;

-- Every completion recorded, corrections included (the enrolment keeps the
-- latest).
CREATE VIEW reporting.training_completions WITH (security_barrier) AS
SELECT e.program_id, l.cohort_id, l.agent_id, l.completed_at, l.recorded_at
FROM public.training_completion_log l
JOIN public.training_enrollments e
  ON e.tenant_id = l.tenant_id AND e.cohort_id = l.cohort_id AND e.agent_id = l.agent_id
WHERE l.tenant_id = reporting.current_tenant();

GRANT SELECT ON reporting.training_programs, reporting.training_enrollments,
  reporting.training_cohorts, reporting.training_completions TO tnps_reporting;
