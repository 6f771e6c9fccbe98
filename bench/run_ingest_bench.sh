#!/usr/bin/env bash
# The ingest benchmark of issue 2, in one run on one machine: raw COPY (the
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

deploy/install-deps.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target tnps-server tnpsctl ingest_bench >/dev/null

port=56432
while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
cluster="$(mktemp -d /tmp/tnps-bench-pg.XXXXXX)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  deploy/pg-cluster.sh destroy "$cluster"
}
trap cleanup EXIT
deploy/pg-cluster.sh init "$cluster" "$port"
deploy/pg-cluster.sh start "$cluster"
psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -qc "CREATE DATABASE bench"
export TNPS_DATABASE_URL="host=127.0.0.1 port=$port user=postgres dbname=bench"
build/tools/tnpsctl migrate >/dev/null

build/services/tnps-server --listen 127.0.0.1:0 >"$cluster/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do grep -q "listening on" "$cluster/server.log" && break; sleep 0.2; done
address="$(sed -n 's/^tnps-server listening on //p' "$cluster/server.log")"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; PostgreSQL $(psql "$TNPS_DATABASE_URL" -tAc 'SHOW server_version'); $rows rows per phase"
build/bench/ingest_bench --database_url "$TNPS_DATABASE_URL" --server "$address" --rows "$rows"

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
