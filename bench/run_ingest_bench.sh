#!/usr/bin/env bash
# The ingest benchmark (docs/benchmarks.md), in one run on one machine: raw COPY (the
# ceiling), StreamResponses, SubmitResponses, SubmitResponse with 64 in
# flight, pgbench's single-row INSERT per transaction with 16 clients on the
# same table, and the server's peak RSS. Uses a throwaway PostgreSQL cluster
# with default (durable) settings; everything listens on 127.0.0.1 and stops
# by itself.
#
#   bench/run_ingest_bench.sh [ROWS]        (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-200000}"

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup ingest_bench
port=$bench_port
cluster=$bench_cluster
echo "$rows rows per phase"
build/bench/ingest_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" --rows "$rows"

# pgbench: one single-row INSERT per transaction into the same responses
# table (no rollup, no agent upsert), 16 clients.
build/tools/tnpsctl tenant create bench-pgbench >/dev/null
psql "$TNPS_DATABASE_URL" -q <<'SQL'
INSERT INTO agents (tenant_id, agent_id, team_id)
SELECT tenant_id, 'agent-1', 'team-1' FROM tenants WHERE name = 'bench-pgbench';
CREATE SEQUENCE pgbench_ids;
SQL
tenant_id="$(psql "$TNPS_DATABASE_URL" -tAc "SELECT tenant_id FROM tenants WHERE name = 'bench-pgbench'")"
cat >"$cluster/insert.sql" <<SQL
INSERT INTO responses (tenant_id, external_id, interaction_id, agent_id, team_id, channel,
  customer_ref, score, comment, interaction_time, response_time, local_day, attributes)
VALUES ($tenant_id, 'pgb-' || nextval('pgbench_ids'), 'call', 'agent-1', 'team-1', 1, 'cust-1',
  9, 'The agent was patient and explained everything clearly.', now() - interval '1 hour', now(),
  current_date, '{"queue": "billing", "language": "de"}');
SQL
pgbench_tps="$(pgbench -n -c 16 -j 2 -T 20 -f "$cluster/insert.sql" \
  "host=127.0.0.1 port=$port user=postgres dbname=bench" 2>/dev/null |
  sed -n 's/^tps = \([0-9.]*\).*/\1/p')"
printf '%-34s %9.0f rows/s\n' "pgbench INSERT/txn (16 clients)" "$pgbench_tps"
printf '%-34s %s\n' "tnps-server peak RSS" "$(grep VmHWM /proc/$server_pid/status | awk '{printf "%.0f MB", $2/1024}')"
