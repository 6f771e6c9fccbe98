-- Data rights: responses can be read back, amended, erased, redacted by a
-- retention policy and excluded from analysis.
--
-- Which responses the rollups count. A response is counted in the rollups
-- (daily_rollups and the coarse tables, through rollup_changes) when it is
-- not excluded itself and its agent is not excluded; it is counted in
-- excluded_agent_counts when it is not excluded itself but its agent is;
-- it is counted nowhere when it is excluded itself. Every statement that
-- changes one of these (ingest, erasure, retention, exclusion) moves the
-- counts in the same transaction, so analytics equal a recount of the
-- responses that count. Ingest takes a shared per-tenant advisory lock
-- before it writes and excluding or re-including an agent takes it
-- exclusively, so that no write decides on an agent's exclusion that is
-- changing under it (storage/response_store.cc).

-- version: 1 when stored, one more at every change (amendment, redaction,
-- exclusion). changed_at and changed_xid: when and by which transaction
-- the response last changed; incremental exports read by changed_xid
-- (storage/response_records.h). Responses stored before this migration
-- have the migration's time as changed_at and no changed_xid: they are
-- older than any export's sync token.
ALTER TABLE responses
  ADD COLUMN version integer NOT NULL DEFAULT 1,
  ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN changed_xid xid8,
  ADD COLUMN excluded boolean NOT NULL DEFAULT false,
  ADD COLUMN exclusion_reason text NOT NULL DEFAULT '',
  ADD COLUMN redacted_at timestamptz;
ALTER TABLE responses ALTER COLUMN changed_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX responses_by_change ON responses (tenant_id, changed_xid NULLS FIRST, response_id);
-- Erasure by customer, which needs no index entry for responses without one.
CREATE INDEX responses_by_customer ON responses (tenant_id, customer_ref)
  WHERE customer_ref <> '';
-- Responses excluded one by one: few, listed by ListResponses.
CREATE INDEX responses_excluded ON responses (tenant_id, interaction_time, response_id)
  WHERE excluded;

-- An agent's compacted cells, to move its counts when it is excluded.
CREATE INDEX daily_rollups_by_agent ON daily_rollups (tenant_id, agent_id);
-- Counts now also go down (erasure, exclusion), as change rows with
-- negative counts. A compaction round that takes such a row after the
-- round that took its positive one inserts a negative row whose ON
-- CONFLICT then lowers the cell; PostgreSQL checks the row to insert
-- against CHECK constraints before it finds the conflict, so daily_rollups
-- can no longer have them. Cells stay non-negative as sums of change rows
-- that each undo only counts added before them.
ALTER TABLE daily_rollups
  DROP CONSTRAINT daily_rollups_promoters_check,
  DROP CONSTRAINT daily_rollups_passives_check,
  DROP CONSTRAINT daily_rollups_detractors_check;

-- Agents left out of analysis (test traffic, a QA integration, an agent on
-- leave), with their responses kept.
CREATE TABLE excluded_agents (
  tenant_id   bigint NOT NULL REFERENCES tenants (tenant_id),
  agent_id    text NOT NULL,
  reason      text NOT NULL,
  excluded_at timestamptz NOT NULL DEFAULT now(),
  excluded_by text NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);

-- The counts of excluded agents' responses, per daily_rollups cell, so
-- that re-including an agent moves them back without reading responses.
CREATE TABLE excluded_agent_counts (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  agent_id   text NOT NULL,
  local_day  date NOT NULL,
  team_id    text NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL,
  passives   bigint NOT NULL,
  detractors bigint NOT NULL,
  PRIMARY KEY (tenant_id, agent_id, local_day, team_id, channel)
);

-- Responses that are gone (erased, or deleted by retention): what an
-- incremental export reports so that a warehouse deletes them too. Only
-- the internal id: nothing of what was erased.
CREATE TABLE response_tombstones (
  tenant_id   bigint NOT NULL REFERENCES tenants (tenant_id),
  response_id bigint NOT NULL,
  removed_at  timestamptz NOT NULL DEFAULT now(),
  removed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  reason      text NOT NULL CHECK (reason IN ('erasure', 'retention')),
  PRIMARY KEY (tenant_id, removed_xid, response_id)
);
CREATE INDEX response_tombstones_by_time ON response_tombstones (removed_at);

-- External ids erased with suppression: a resubmission is refused. A
-- digest under the tenant's id_key, never the id itself.
CREATE TABLE suppressed_external_ids (
  tenant_id          bigint NOT NULL REFERENCES tenants (tenant_id),
  external_id_digest bytea NOT NULL CHECK (length(external_id_digest) = 32),
  suppressed_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, external_id_digest)
);

-- Per tenant: after redact_after_days (by interaction time) comment and
-- customer_ref are dropped (and attributes, with redact_attributes); after
-- delete_after_days the response is deleted. Set by tnpsctl retention.
CREATE TABLE retention_policies (
  tenant_id         bigint PRIMARY KEY REFERENCES tenants (tenant_id),
  redact_after_days integer CHECK (redact_after_days BETWEEN 1 AND 36600),
  redact_attributes boolean NOT NULL DEFAULT false,
  delete_after_days integer CHECK (delete_after_days BETWEEN 1 AND 36600),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (redact_after_days IS NOT NULL OR delete_after_days IS NOT NULL)
);

-- The retention worker's progress per tenant: responses that interacted
-- before *_through are done, except those changed by transactions not yet
-- visible at swept_xmin (late arrivals, amendments), which the next round
-- looks at.
CREATE TABLE retention_progress (
  tenant_id        bigint PRIMARY KEY REFERENCES tenants (tenant_id),
  redacted_through timestamptz,
  deleted_through  timestamptz,
  swept_xmin       xid8,
  last_round_at    timestamptz,
  redacted_total   bigint NOT NULL DEFAULT 0,
  deleted_total    bigint NOT NULL DEFAULT 0
);

-- Times and the oldest transaction then running, recorded by the server
-- once a minute: an export `changed_since` a time reads changes from the
-- transactions at or after the last mark before it.
CREATE TABLE xid_marks (
  marked_at timestamptz PRIMARY KEY,
  oldest_xid xid8 NOT NULL
);

-- The reporting views leave out cells whose responses were all erased or
-- excluded (their counts are zero; the NPS would divide by zero).
CREATE OR REPLACE VIEW reporting.daily_counts WITH (security_barrier) AS
SELECT local_day, agent_id, team_id, reporting.channel_name(channel) AS channel,
       sum(promoters)::bigint AS promoters, sum(passives)::bigint AS passives,
       sum(detractors)::bigint AS detractors,
       sum(promoters + passives + detractors)::bigint AS responses
FROM (SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.daily_rollups WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY local_day, agent_id, team_id, c.channel
HAVING sum(promoters + passives + detractors) <> 0;

CREATE OR REPLACE VIEW reporting.daily_nps_by_agent WITH (security_barrier) AS
SELECT local_day, agent_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.daily_rollups WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY local_day, agent_id
HAVING sum(promoters + passives + detractors) <> 0;

CREATE OR REPLACE VIEW reporting.daily_nps_by_team WITH (security_barrier) AS
SELECT local_day, team_id,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.daily_rollups WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY local_day, team_id
HAVING sum(promoters + passives + detractors) <> 0;

CREATE OR REPLACE VIEW reporting.daily_nps_by_channel WITH (security_barrier) AS
SELECT local_day, reporting.channel_name(channel) AS channel,
       sum(promoters) AS promoters, sum(passives) AS passives, sum(detractors) AS detractors,
       sum(promoters + passives + detractors) AS responses,
       round(100.0 * (sum(promoters) - sum(detractors)) /
             sum(promoters + passives + detractors), 2) AS nps
FROM (SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.daily_rollups WHERE tenant_id = reporting.current_tenant()
      UNION ALL
      SELECT local_day, agent_id, team_id, channel, promoters, passives, detractors
      FROM public.rollup_changes WHERE tenant_id = reporting.current_tenant()) c
GROUP BY local_day, c.channel
HAVING sum(promoters + passives + detractors) <> 0;

GRANT SELECT, INSERT, DELETE ON responses TO tnps_app;
GRANT UPDATE (comment, attributes, customer_ref, version, changed_at, changed_xid, excluded,
              exclusion_reason, redacted_at) ON responses TO tnps_app;
GRANT SELECT ON daily_rollups TO tnps_app;
GRANT SELECT, INSERT, DELETE ON excluded_agents TO tnps_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON excluded_agent_counts TO tnps_app;
GRANT SELECT, INSERT, DELETE ON response_tombstones TO tnps_app;
GRANT SELECT, INSERT ON suppressed_external_ids TO tnps_app;
GRANT SELECT ON retention_policies TO tnps_app;
GRANT SELECT, INSERT, UPDATE ON retention_progress TO tnps_app;
GRANT SELECT, INSERT, DELETE ON xid_marks TO tnps_app;
