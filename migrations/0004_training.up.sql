-- Training programmes, their cohorts, and each agent's enrolment and
-- completion (docs/training-impact.md). Every key starts with tenant_id and
-- every foreign key stays within the tenant, as elsewhere.

CREATE TABLE training_programs (
  tenant_id             bigint NOT NULL REFERENCES tenants (tenant_id),
  program_id            bigint GENERATED ALWAYS AS IDENTITY,
  name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description           text NOT NULL DEFAULT '',
  hours_per_participant double precision NOT NULL
                        CHECK (hours_per_participant BETWEEN 0 AND 10000),
  -- Millionths of the currency unit per participant-hour.
  cost_per_hour_micros  bigint NOT NULL CHECK (cost_per_hour_micros >= 0),
  currency_code         text NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
  created_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, program_id),
  UNIQUE (tenant_id, name)
);

CREATE TABLE training_cohorts (
  tenant_id     bigint NOT NULL,
  cohort_id     bigint GENERATED ALWAYS AS IDENTITY,
  program_id    bigint NOT NULL,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  planned_start date NOT NULL,
  planned_end   date NOT NULL CHECK (planned_end >= planned_start),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, cohort_id),
  UNIQUE (tenant_id, program_id, name),
  -- Lets enrolments prove their programme is their cohort's.
  UNIQUE (tenant_id, program_id, cohort_id),
  FOREIGN KEY (tenant_id, program_id) REFERENCES training_programs (tenant_id, program_id)
);

-- One row per agent and cohort; an agent is in at most one cohort of a
-- programme, so its completion defines its treatment group unambiguously.
CREATE TABLE training_enrollments (
  tenant_id     bigint NOT NULL,
  program_id    bigint NOT NULL,
  cohort_id     bigint NOT NULL,
  agent_id      text NOT NULL,
  enrolled_at   timestamptz NOT NULL,
  completed_at  timestamptz CHECK (completed_at >= enrolled_at),
  PRIMARY KEY (tenant_id, cohort_id, agent_id),
  UNIQUE (tenant_id, program_id, agent_id),
  FOREIGN KEY (tenant_id, program_id, cohort_id)
    REFERENCES training_cohorts (tenant_id, program_id, cohort_id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, agent_id)
);

-- Every completion ever recorded, corrections included, for audit.
CREATE TABLE training_completion_log (
  tenant_id    bigint NOT NULL,
  cohort_id    bigint NOT NULL,
  agent_id     text NOT NULL,
  completed_at timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, cohort_id, agent_id)
    REFERENCES training_enrollments (tenant_id, cohort_id, agent_id)
);
CREATE INDEX training_completion_log_by_agent
  ON training_completion_log (tenant_id, cohort_id, agent_id);

COMMENT ON COLUMN agents.team_id IS
  'The agent''s current team: first seen through ingest, then kept by HR''s roster sync.';
