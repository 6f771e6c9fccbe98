-- What one NPS point is worth to a tenant over a year, per programme, in
-- millionths of its currency (0: not known); GetProgramImpact turns it into
-- the uplift's value, net value and payback.
ALTER TABLE training_programs
  ADD COLUMN value_per_point_micros bigint NOT NULL DEFAULT 0 CHECK (value_per_point_micros >= 0);
