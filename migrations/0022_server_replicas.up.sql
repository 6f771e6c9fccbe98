-- The tnps-server replicas running against this database, each renewing
-- its row every --replica_heartbeat until it stops: every replica divides
-- each API key's rate limits by how many rows are alive, so that N
-- replicas behind a balancer together allow what one server alone would.
-- A replica that dies without removing its row stops counting when its row
-- expires; each heartbeat deletes expired rows, so the table holds about
-- one row per running replica.
CREATE TABLE server_replicas (
  replica_id text PRIMARY KEY CHECK (length(replica_id) BETWEEN 1 AND 128),
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON server_replicas TO tnps_app;
