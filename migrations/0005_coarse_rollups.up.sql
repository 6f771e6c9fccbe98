-- Coarse rollups for fast reads, derived from the exact daily_rollups.
--
-- Ingest does not maintain these tables: that would put hot rows (one per
-- tenant and day) on the insert path. Instead each ingest statement appends
-- one row per (tenant, local day) it touched to rollup_changes, and the
-- server's compactor (storage/rollup_compactor.h) recomputes the coarse cells
-- of those days from daily_rollups and deletes exactly the change rows it
-- read, in one transaction. Readers take a day from the coarse tables only
-- when it has no pending change row, and from daily_rollups otherwise, so a
-- response acked by ingest is counted by the next query (read-your-writes).
-- Counts only grow, so a recomputed cell never disappears.

CREATE TABLE rollup_changes (
  change_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id bigint NOT NULL,
  local_day date NOT NULL
);
CREATE INDEX rollup_changes_by_day ON rollup_changes (tenant_id, local_day);

-- Per agent and local day, channels summed.
CREATE TABLE rollup_agent_days (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  local_day  date NOT NULL,
  agent_id   text NOT NULL,
  team_id    text NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, local_day, agent_id, team_id)
);
-- For queries about a few agents over a long range.
CREATE INDEX rollup_agent_days_by_agent ON rollup_agent_days (tenant_id, agent_id, local_day);

-- Per agent and ISO week (week_start is the Monday), channels summed.
CREATE TABLE rollup_agent_weeks (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  week_start date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
  agent_id   text NOT NULL,
  team_id    text NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, week_start, agent_id, team_id)
);

-- Per team, channel and local day.
CREATE TABLE rollup_team_days (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  local_day  date NOT NULL,
  team_id    text NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, local_day, team_id, channel)
);
-- For queries about a few teams.
CREATE INDEX rollup_team_days_by_team ON rollup_team_days (tenant_id, team_id, local_day);

-- Per channel and local day: the whole tenant.
CREATE TABLE rollup_tenant_days (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  local_day  date NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, local_day, channel)
);

-- Existing data: every stored day is pending until the compactor has run.
INSERT INTO rollup_changes (tenant_id, local_day)
SELECT DISTINCT tenant_id, local_day FROM daily_rollups ORDER BY 1, 2;
