-- Journey touchpoints: up to 8 response attribute keys per tenant, declared
-- as dimensions, counted in rollups of their own so that NPS can be filtered
-- and broken down by them (docs/api.md, "Attribute dimensions").
--
-- A response counts for a declared key when it has the key, is counted in
-- the rollups (neither it nor its agent excluded), and is covered: written
-- after the declaration (response_id >= counted_from), or already reached by
-- the back-fill (response_id < backfilled_below). Ingest, erasure,
-- retention, exclusions and amendments move the counts of covered responses
-- only, in the same statement as the rest (storage/response_counting.h); the
-- compactor's back-fill covers the older ones in batches, adding their
-- counts to the rollup tables under the compaction lock and the tenant's
-- attribute lock, which those other statements take shared and ingest never
-- takes. The key is ready once backfilled_below reaches counted_from.
CREATE TABLE attribute_dimensions (
  tenant_id        bigint NOT NULL REFERENCES tenants (tenant_id),
  attr_key         text NOT NULL,
  declared_at      timestamptz NOT NULL DEFAULT now(),
  counted_from     bigint NOT NULL,
  backfilled_below bigint NOT NULL DEFAULT 0,
  -- Responses the back-fill has counted so far, for progress reports.
  backfilled_responses bigint NOT NULL DEFAULT 0,
  backfill_done_at timestamptz,
  PRIMARY KEY (tenant_id, attr_key)
);

-- As rollup_changes: counts written by the statements that change them,
-- folded into the three tables below by the compactor and deleted.
CREATE TABLE attribute_changes (
  change_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id  bigint NOT NULL,
  attr_key   text NOT NULL,
  attr_value text NOT NULL,
  local_day  date NOT NULL,
  agent_id   text NOT NULL,
  team_id    text NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attribute_changes_by_key ON attribute_changes (tenant_id, attr_key, local_day);
CREATE INDEX attribute_changes_by_agent ON attribute_changes (tenant_id, agent_id);

-- Every dimension of daily_rollups with the key's value, by agent first:
-- answers an attribute condition together with agents or cohorts.
CREATE TABLE attribute_rollups (
  tenant_id  bigint NOT NULL,
  attr_key   text NOT NULL,
  agent_id   text NOT NULL,
  local_day  date NOT NULL,
  attr_value text NOT NULL,
  team_id    text NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, attr_key, agent_id, local_day, attr_value, team_id, channel)
);
-- For moving an agent's counts when it is excluded.
CREATE INDEX attribute_rollups_by_agent ON attribute_rollups (tenant_id, agent_id);

-- Per team and day: a condition or breakdown with teams or channels.
CREATE TABLE attribute_team_days (
  tenant_id  bigint NOT NULL,
  attr_key   text NOT NULL,
  team_id    text NOT NULL,
  local_day  date NOT NULL,
  attr_value text NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, attr_key, team_id, local_day, attr_value, channel)
);

-- Per tenant and day: the tenant-wide reads.
CREATE TABLE attribute_days (
  tenant_id  bigint NOT NULL,
  attr_key   text NOT NULL,
  local_day  date NOT NULL,
  attr_value text NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, attr_key, local_day, attr_value, channel)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON attribute_dimensions TO tnps_app;
GRANT SELECT, INSERT, DELETE ON attribute_changes TO tnps_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON attribute_rollups, attribute_team_days, attribute_days
  TO tnps_app;
