ALTER TABLE rollup_changes DROP COLUMN changed_at;
