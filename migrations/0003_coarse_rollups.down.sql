DROP TABLE agent_daily_rollups;
DROP TABLE team_daily_rollups;
DROP TABLE tenant_daily_rollups;
