ALTER TABLE training_programs DROP COLUMN value_per_point_micros;
