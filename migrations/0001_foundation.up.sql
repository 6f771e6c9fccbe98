-- Tenants, API keys, agents, survey responses and their daily rollups.
--
-- Citus layout: responses, agents and daily_rollups are distributed by
-- tenant_id (every primary and unique key starts with it, and foreign keys
-- stay within a tenant); tenants and api_keys are small reference tables,
-- looked up by name or key id before the tenant is known.

CREATE TABLE tenants (
  tenant_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
  -- IANA zone; local days, weeks, months and quarters are cut in it.
  time_zone  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  key_id        text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
  tenant_id     bigint NOT NULL REFERENCES tenants (tenant_id),
  -- SHA-256 of the secret part of the key; the key itself is never stored.
  secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
  role          text NOT NULL CHECK (role IN ('ingest', 'read', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id);

-- Agents are created on first sight by ingest; HR's roster sync fills in the rest.
CREATE TABLE agents (
  tenant_id     bigint NOT NULL REFERENCES tenants (tenant_id),
  agent_id      text NOT NULL,
  -- The team the agent was first seen in (responses keep their own team_id).
  team_id       text NOT NULL,
  display_name  text,
  region        text,
  hire_date     date,
  active        boolean NOT NULL DEFAULT true,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, agent_id)
);

CREATE TABLE responses (
  tenant_id        bigint NOT NULL REFERENCES tenants (tenant_id),
  response_id      bigint GENERATED ALWAYS AS IDENTITY,
  external_id      text NOT NULL,
  interaction_id   text NOT NULL,
  agent_id         text NOT NULL,
  -- Team and channel as they were at interaction time; roster changes never rewrite them.
  team_id          text NOT NULL,
  channel          smallint NOT NULL CHECK (channel BETWEEN 1 AND 6),
  customer_ref     text NOT NULL DEFAULT '',
  score            smallint NOT NULL CHECK (score BETWEEN 0 AND 10),
  comment          text NOT NULL DEFAULT '',
  interaction_time timestamptz NOT NULL,
  response_time    timestamptz NOT NULL CHECK (response_time >= interaction_time),
  -- interaction_time's calendar day in the tenant's time zone, fixed at ingest.
  local_day        date NOT NULL,
  attributes       jsonb NOT NULL DEFAULT '{}',
  received_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, response_id),
  UNIQUE (tenant_id, external_id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, agent_id)
);
CREATE INDEX responses_by_interaction_time ON responses (tenant_id, interaction_time);

-- Exact counts of every committed response, maintained in the same
-- transaction as the insert (so a query after an ack sees it).
CREATE TABLE daily_rollups (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  local_day  date NOT NULL,
  agent_id   text NOT NULL,
  team_id    text NOT NULL,
  channel    smallint NOT NULL,
  promoters  bigint NOT NULL DEFAULT 0 CHECK (promoters >= 0),
  passives   bigint NOT NULL DEFAULT 0 CHECK (passives >= 0),
  detractors bigint NOT NULL DEFAULT 0 CHECK (detractors >= 0),
  PRIMARY KEY (tenant_id, local_day, agent_id, team_id, channel)
);
