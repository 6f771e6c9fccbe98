#!/usr/bin/env bash
# The alert benchmark (docs/benchmarks.md), on one machine:
#   1. the ingest benchmark with no alert subscription, then with a paused
#      subscription matching a third of the rows (ingest then writes an
#      outbox event for each: the cost of the outbox, with no delivery
#      competing for the CPU); twice each, alternating, every run on a
#      fresh PostgreSQL cluster so that none pays for an earlier one's data;
#   2. SubmitResponse at a steady RATE per second for SECONDS, a third of
#      the responses matching an active subscription whose receiver (a real
#      HTTP server on loopback, tests/e2e/webhook_receiver.py) records each
#      arrival: latency from ack to receipt, and the server's memory.
# Throwaway clusters with default (durable) settings; everything listens on
# 127.0.0.1 and stops by itself.
#
#   bench/run_alert_bench.sh [ROWS] [SECONDS] [RATE] [ROUNDS]
#       (defaults 200000, 60, 500, 2; ROWS 0 skips the ingest runs)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-200000}"
seconds="${2:-60}"
rate="${3:-500}"
rounds="${4:-2}"

# One ingest benchmark on a fresh cluster; $1 labels its lines, the rest
# are ingest_bench's flags.
ingest_run() {
  local label="$1"
  shift
  (
    # shellcheck source=bench/lib.sh
    source bench/lib.sh
    bench_setup ingest_bench >/dev/null
    build/bench/ingest_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
      --rows "$rows" "$@" | sed "s/^/$label /"
  )
}

if [ "$rows" -gt 0 ]; then
  echo "== ingest, $rows rows per phase: 'none' without subscriptions, 'outbox' with a paused"
  echo "   one matching a third of the rows"
fi
for round in $(seq 1 "$rounds"); do
  [ "$rows" -gt 0 ] || break
  ingest_run "none   #$round"
  ingest_run "outbox #$round" --alert_url https://receiver.invalid/paused
done

# The receiver is on loopback (servers read TNPS_* as their flags' defaults).
export TNPS_ALERT_ALLOW_PRIVATE_TARGETS=true
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup alert_bench
record="$bench_cluster/receiver.jsonl"
python3 tests/e2e/webhook_receiver.py --record "$record" >"$bench_cluster/receiver.out" 2>&1 &
receiver_pid=$!
trap 'kill "$receiver_pid" 2>/dev/null || true; bench_cleanup' EXIT
for _ in $(seq 1 50); do grep -q "^listening" "$bench_cluster/receiver.out" && break; sleep 0.1; done
receiver="http://127.0.0.1:$(awk '/^listening/ {print $2}' "$bench_cluster/receiver.out")"
echo "== alerts: $rate SubmitResponse/s for $seconds s, a third matching, receiver on loopback"
build/bench/alert_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
  --alert_url "$receiver/ok/alerts" --receiver_record "$record" --rate "$rate" \
  --seconds "$seconds" --server_pid "$server_pid"
