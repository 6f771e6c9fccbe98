#!/usr/bin/env bash
# Two builds of tnps-server timed against the same database: the analytics
# benchmark's tenant is loaded once, then the other build's server and this
# checkout's take turns (other first), each timed with the analytics and
# training queries. For checking that a change costs no speed: turns cancel
# out the drift of a shared machine better than separate runs.
#
#   bench/run_ab_bench.sh OTHER_TNPS_SERVER [ROUNDS] [RESPONSES] [CALLS]
#       (defaults: 4 rounds, 1000000 responses, 200 calls per query)
#
# OTHER_TNPS_SERVER is a tnps-server binary built from another commit (for
# example from `git worktree add /tmp/before <commit>`); both builds must use
# the same schema.
set -euo pipefail
cd "$(dirname "$0")/.."
other="${1:?usage: bench/run_ab_bench.sh OTHER_TNPS_SERVER [ROUNDS] [RESPONSES] [CALLS]}"
other="$(realpath "$other")"
rounds="${2:-4}"
n="${3:-1000000}"
calls="${4:-200}"

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup analytics_bench
build/bench/analytics_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
  --responses "$n" --training --calls 3 >/dev/null
echo "tenant of $n responses loaded"

# Replaces the running server with `$1`.
restart_server() {
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  : >"$bench_cluster/server.log"
  TNPS_DATABASE_URL="$bench_app_url" "$1" --listen 127.0.0.1:0 >"$bench_cluster/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 50); do grep -q '"msg":"listening"' "$bench_cluster/server.log" && break; sleep 0.2; done
  server_address="$(sed -n 's/.*"msg":"listening","address":"\([^"]*\)".*/\1/p' "$bench_cluster/server.log")"
}

for round in $(seq 1 "$rounds"); do
  for side in other this; do
    binary="$PWD/build/services/tnps-server"
    [ "$side" = other ] && binary="$other"
    restart_server "$binary"
    build/bench/analytics_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
      --responses "$n" --training --calls "$calls" | grep " p50 " |
      sed "s/^/round $round $(printf "%-5s" "$side") /"
  done
done
