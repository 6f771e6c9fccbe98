# Shared by the bench/run_*.sh scripts (sourced): a throwaway PostgreSQL
# cluster with default, durable settings, a migrated database `bench`, and a
# tnps-server on a free loopback port; all removed on exit. And a free port
# range for the HA stack.

# Prints the first base port from $1 up (in steps of 100) whose 81 ports no
# socket uses, TIME_WAIT included: Patroni's REST API cannot bind a port a
# recent run's connections still hold. Fails after 20 tries.
free_ha_base() {
  local base="$1" tries=0
  # grep reads everything (no -q), so that under pipefail an early exit
  # cannot break awk's pipe and read as "free".
  while ss -Htan | awk '{print $4; print $5}' |
    grep -E ":($(seq -s '|' "$base" $((base + 80))))$" >/dev/null; do
    base=$((base + 100))
    tries=$((tries + 1))
    [ "$tries" -lt 20 ] || { echo "no free port range from $1" >&2; return 1; }
  done
  echo "$base"
}

bench_setup() {
  deploy/install-deps.sh >/dev/null
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build --target tnps-server tnpsctl "$@" >/dev/null

  bench_port=56432
  while (echo >"/dev/tcp/127.0.0.1/$bench_port") 2>/dev/null; do bench_port=$((bench_port + 1)); done
  bench_cluster="$(mktemp -d /tmp/tnps-bench-pg.XXXXXX)"
  server_pid=""
  trap bench_cleanup EXIT
  deploy/pg-cluster.sh init "$bench_cluster" "$bench_port"
  deploy/pg-cluster.sh start "$bench_cluster"
  # As in production (docs/security.md): the database and its roles made by
  # the superuser, the schema and tenants by tnps_owner (TNPS_DATABASE_URL,
  # for tnpsctl and the benchmark clients), the server as tnps_app.
  build/tools/tnpsctl db-setup --database bench \
    --database_url "host=127.0.0.1 port=$bench_port user=postgres" >/dev/null
  export TNPS_DATABASE_URL="host=127.0.0.1 port=$bench_port user=tnps_owner dbname=bench"
  bench_app_url="host=127.0.0.1 port=$bench_port user=tnps_app dbname=bench"
  build/tools/tnpsctl migrate >/dev/null

  TNPS_DATABASE_URL="$bench_app_url" build/services/tnps-server --listen 127.0.0.1:0 \
    >"$bench_cluster/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 50); do grep -q '"msg":"listening"' "$bench_cluster/server.log" && break; sleep 0.2; done
  server_address="$(sed -n 's/.*"msg":"listening","address":"\([^"]*\)".*/\1/p' "$bench_cluster/server.log")"
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "PostgreSQL $(psql "$TNPS_DATABASE_URL" -tAc 'SHOW server_version')"
}

bench_cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  deploy/pg-cluster.sh destroy "$bench_cluster"
}
