-- Coarser exact rollups, so that dashboard queries read a few thousand rows
-- whatever the response volume (issue 3's benchmark). Like daily_rollups
-- they are written in the same transaction as the responses they count.
--
-- `shard` spreads concurrent writers over separate rows: every ingest
-- transaction of a busy tenant touches today's tenant and team rows, and
-- without shards the writers would queue on those row locks. Readers sum
-- over shards.

CREATE TABLE tenant_daily_rollups (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  local_day  date NOT NULL,
  channel    smallint NOT NULL,
  shard      smallint NOT NULL,
  promoters  bigint NOT NULL DEFAULT 0,
  passives   bigint NOT NULL DEFAULT 0,
  detractors bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, local_day, channel, shard)
);

CREATE TABLE team_daily_rollups (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  local_day  date NOT NULL,
  team_id    text NOT NULL,
  channel    smallint NOT NULL,
  shard      smallint NOT NULL,
  promoters  bigint NOT NULL DEFAULT 0,
  passives   bigint NOT NULL DEFAULT 0,
  detractors bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, local_day, team_id, channel, shard)
);
CREATE INDEX team_daily_rollups_by_team ON team_daily_rollups (tenant_id, team_id, local_day);

-- Per agent and day, all channels: agent breakdowns read a third of the rows.
CREATE TABLE agent_daily_rollups (
  tenant_id  bigint NOT NULL REFERENCES tenants (tenant_id),
  local_day  date NOT NULL,
  agent_id   text NOT NULL,
  team_id    text NOT NULL,
  promoters  bigint NOT NULL DEFAULT 0,
  passives   bigint NOT NULL DEFAULT 0,
  detractors bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, local_day, agent_id, team_id)
);

CREATE INDEX agent_daily_rollups_by_agent ON agent_daily_rollups (tenant_id, agent_id, local_day);

INSERT INTO tenant_daily_rollups
SELECT tenant_id, local_day, channel, 0, sum(promoters), sum(passives), sum(detractors)
FROM daily_rollups GROUP BY tenant_id, local_day, channel;

INSERT INTO team_daily_rollups
SELECT tenant_id, local_day, team_id, channel, 0, sum(promoters), sum(passives), sum(detractors)
FROM daily_rollups GROUP BY tenant_id, local_day, team_id, channel;

INSERT INTO agent_daily_rollups
SELECT tenant_id, local_day, agent_id, team_id, sum(promoters), sum(passives), sum(detractors)
FROM daily_rollups GROUP BY tenant_id, local_day, agent_id, team_id;

-- BI views keep reading daily_rollups; nothing to change in `reporting`.
