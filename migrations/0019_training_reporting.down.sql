DROP VIEW reporting.training_completions, reporting.training_cohorts,
  reporting.training_enrollments, reporting.training_programs;
