#!/usr/bin/env bash
# The HA benchmark (docs/benchmarks.md#high-availability), on one machine,
# everything on loopback, stopping by itself. As root. Each run sends
# REQUESTS SubmitResponse calls, 32 in flight over 8 connections (as CRM
# connectors would), and prints throughput and latency:
#
#   1. a single node: one PostgreSQL 15 (bench/lib.sh), one tnps-server;
#   2. the HA stack (deploy/ha/ha-cluster.sh): 3 Patroni nodes with a
#      synchronous standby, through HAProxy, with 1 and then 2 tnps-server
#      replicas in rotation; then with synchronous_mode off (1 replica), so
#      that the cost of the synchronous commit shows apart from the rest;
#   3. ingest into replica 1 while 2 clients run heavy estimates over a
#      synthetic tenant of ANALYTICS_RESPONSES responses through another
#      server, which reads them from a standby (--read_database_url) or from
#      the primary; twice each, alternating, and once without estimates.
#
#   bench/run_ha_bench.sh [REQUESTS] [ANALYTICS_RESPONSES]   (default: 60000, 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-60000}"
analytics_rows="${2:-1000000}"

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup ha_bench
secrets="$(mktemp -d)"
(umask 077 && echo "$TNPS_DATABASE_URL" >"$secrets/owner.url")
run() { build/bench/ha_bench --requests "$requests" "$@"; }

echo "== 1. single node (no replication)"
run --database_url_file "$secrets/owner.url" --server "$server_address" \
  --label "single node, 1 replica"
# Its CPU back before the HA stack starts.
bench_cleanup
trap - EXIT
rm -rf "$secrets"

export TNPS_BIN_DIR="$(cd build && pwd)"
base="$(free_ha_base 27200)"
dir="$(mktemp -u /tmp/tnps-ha-bench.XXXXXX)"
extra_pids=()
cleanup() {
  for pid in "${extra_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  deploy/ha/ha-cluster.sh stop "$dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
TNPS_HA_SERVERS=2 deploy/ha/ha-cluster.sh start "$dir" "$base" >/dev/null
owner="$dir/secrets/owner.url"
grpc="127.0.0.1:$((base + 50))"

# HAProxy's runtime API (its admin socket), to take replica 2 out of
# rotation and back.
haproxy_cmd() {
  /usr/bin/python3 - "$dir/run/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
s.recv(4096)
PY
}
patroni_sync() {
  patronictl -c "$dir/pg/pg1.yml" edit-config --force --quiet -s "synchronous_mode=$1" >/dev/null
  for _ in $(seq 1 60); do
    if curl -fsS --noproxy '*' "http://127.0.0.1:$((base + 21))/cluster" | grep -q '"role": *"sync_standby"'; then
      [ "$1" = true ] && return 0
    else
      [ "$1" = false ] && return 0
    fi
    sleep 0.5
  done
  echo "run_ha_bench: synchronous_mode=$1 did not take effect" >&2
  exit 1
}

echo "== 2. HA stack: 3 nodes (Patroni, etcd), HAProxy"
haproxy_cmd "disable server tnps_servers/tnps2"
run --database_url_file "$owner" --server "$grpc" --label "HA, synchronous standby, 1 replica"
haproxy_cmd "enable server tnps_servers/tnps2"
sleep 3
run --database_url_file "$owner" --server "$grpc" --label "HA, synchronous standby, 2 replicas"
patroni_sync false
haproxy_cmd "disable server tnps_servers/tnps2"
run --database_url_file "$owner" --server "$grpc" --label "HA, asynchronous standbys, 1 replica"
haproxy_cmd "enable server tnps_servers/tnps2"
patroni_sync true

echo "== 3. ingest while estimates run ($analytics_rows-response tenant)"
(umask 077 && touch "$dir/secrets/analytics.key")
build/bench/ha_bench --database_url_file "$owner" --load_analytics_tenant "$analytics_rows" \
  --analytics_key_file "$dir/secrets/analytics.key" 2>/dev/null
# Two more servers for the estimates, straight to PostgreSQL through
# HAProxy (not in the gRPC rotation): one reads them from the standbys, one
# from the primary. Ingest goes to replica 1 directly, so that the server
# taking it is the same in every run and shares no threads with estimates.
start_server() {
  local port="$1"
  shift
  build/services/tnps-server --database_url_file "$dir/secrets/app.url" \
    --listen "127.0.0.1:$port" "$@" >"$dir/logs/bench-$port.log" 2>&1 &
  extra_pids+=($!)
  for _ in $(seq 1 50); do grep -q '"msg":"listening"' "$dir/logs/bench-$port.log" && return 0; sleep 0.2; done
  echo "run_ha_bench: the server on $port did not start" >&2
  exit 1
}
standby_reads=$((base + 66))
primary_reads=$((base + 67))
start_server "$standby_reads" --read_database_url_file "$dir/secrets/app-read.url"
start_server "$primary_reads"
ingest=(--database_url_file "$owner" --server "127.0.0.1:$((base + 61))")
estimates=(--analytics_clients 2 --analytics_key_file "$dir/secrets/analytics.key")
run "${ingest[@]}" --label "no estimates"
for round in 1 2; do
  run "${ingest[@]}" "${estimates[@]}" --analytics_server "127.0.0.1:$standby_reads" \
    --label "estimates on a standby ($round)"
  run "${ingest[@]}" "${estimates[@]}" --analytics_server "127.0.0.1:$primary_reads" \
    --label "estimates on the primary ($round)"
done
