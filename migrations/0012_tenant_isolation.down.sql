ALTER TABLE tenants DROP COLUMN id_key;
ALTER TABLE training_programs ALTER COLUMN program_id ADD GENERATED ALWAYS AS IDENTITY;
ALTER TABLE training_cohorts ALTER COLUMN cohort_id ADD GENERATED ALWAYS AS IDENTITY;
DO $$
BEGIN
  PERFORM setval(pg_get_serial_sequence('training_programs', 'program_id'),
                 greatest(1, (SELECT max(program_id) FROM training_programs)));
  PERFORM setval(pg_get_serial_sequence('training_cohorts', 'cohort_id'),
                 greatest(1, (SELECT max(cohort_id) FROM training_cohorts)));
END
$$;
