-- Back to day-only change rows: every stored day is pending, and the
-- previous compactor recomputes it whole.
TRUNCATE rollup_changes;
ALTER TABLE rollup_changes
  DROP COLUMN agent_id,
  DROP COLUMN team_id,
  DROP COLUMN channel,
  DROP COLUMN promoters,
  DROP COLUMN passives,
  DROP COLUMN detractors;
INSERT INTO rollup_changes (tenant_id, local_day)
SELECT DISTINCT tenant_id, local_day FROM daily_rollups ORDER BY 1, 2;
