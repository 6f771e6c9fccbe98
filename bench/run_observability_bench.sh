#!/usr/bin/env bash
# What metrics and logs cost ingest (issue: at most 5%): the ingest
# benchmark against a server without them ("plain"), with Prometheus
# metrics scraped every second ("metrics"), and with metrics plus an access
# log line for every call ("metrics+log", the worst case: a sampled log
# costs less). The arms take turns, ROUNDS times, each run on a fresh
# PostgreSQL cluster so that none pays for an earlier one's data; the
# server's peak RSS follows each run. Loopback only; stops by itself.
#
#   bench/run_observability_bench.sh [ROWS] [ROUNDS]     (defaults: 200000, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-200000}"
rounds="${2:-3}"

# One ingest benchmark on a fresh cluster; $1 labels its lines, the rest are
# TNPS_* settings for the server (it reads them as its flags' defaults).
ingest_run() {
  local label="$1"
  shift
  (
    for setting in "$@"; do export "${setting?}"; done
    # shellcheck source=bench/lib.sh
    source bench/lib.sh
    bench_setup ingest_bench >/dev/null
    scraper=""
    metrics="$(sed -n 's/.*"metrics_address":"\([^"]*\)".*/\1/p' "$bench_cluster/server.log")"
    if [ -n "$metrics" ]; then
      # As Prometheus would, but every second rather than every 15.
      (while kill -0 "$server_pid" 2>/dev/null; do
        curl -s -o /dev/null "http://$metrics/metrics" || true
        sleep 1
      done) &
      scraper=$!
    fi
    build/bench/ingest_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
      --rows "$rows" | grep -E "rows/s|latency" | sed "s/^/$label /"
    printf '%s %-34s %s; log %s lines\n' "$label" "tnps-server peak RSS" \
      "$(grep VmHWM /proc/"$server_pid"/status | awk '{printf "%.0f MB", $2/1024}')" \
      "$(wc -l <"$bench_cluster/server.log")"
    if [ -n "$scraper" ]; then kill "$scraper" 2>/dev/null || true; fi
  )
}

echo "== ingest, $rows rows per phase; plain / metrics / metrics+log, $rounds rounds"
for round in $(seq 1 "$rounds"); do
  ingest_run "plain       #$round"
  ingest_run "metrics     #$round" TNPS_METRICS_LISTEN=127.0.0.1:0
  ingest_run "metrics+log #$round" TNPS_METRICS_LISTEN=127.0.0.1:0 TNPS_ACCESS_LOG=true
done
