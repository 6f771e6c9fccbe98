COMMENT ON COLUMN agents.team_id IS NULL;
DROP TABLE training_completion_log;
DROP TABLE training_enrollments;
DROP TABLE training_cohorts;
DROP TABLE training_programs;
