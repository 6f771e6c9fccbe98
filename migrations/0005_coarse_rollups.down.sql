DROP TABLE rollup_tenant_days;
DROP TABLE rollup_team_days;
DROP TABLE rollup_agent_weeks;
DROP TABLE rollup_agent_days;
DROP TABLE rollup_changes;
