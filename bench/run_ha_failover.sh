#!/usr/bin/env bash
# The failover test of the HA stack at full length (docs/high-availability.md):
# starts deploy/ha/ha-cluster.sh on loopback, kills the primary PostgreSQL
# with SIGKILL ROUNDS times (and one tnps-server replica in round 2) under
# steady ingest from 4 retrying clients, recounts after each round, prints
# the write unavailability of each failover, and removes the stack. As root.
#
#   bench/run_ha_failover.sh [ROUNDS] [BASE_PORT]     (default: 5, 27100)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
rounds="${1:-5}"
base="${2:-27100}"
build="${TNPS_BUILD_DIR:-build}"
cmake --build "$build" --target tnps-server tnpsctl ha_failover >/dev/null
export TNPS_BIN_DIR="$(cd "$build" && pwd)"
base="$(free_ha_base "$base")"
dir="$(mktemp -u /tmp/tnps-ha.XXXXXX)"
# The logs outlive the stack, for a failed run.
trap 'rm -rf "$dir.logs"; cp -r "$dir/logs" "$dir.logs" 2>/dev/null; deploy/ha/ha-cluster.sh stop "$dir"; echo "logs: $dir.logs"' EXIT
deploy/ha/ha-cluster.sh start "$dir" "$base"
export TNPS_DATABASE_URL_FILE="$dir/secrets/owner.url"
"$build/tools/tnpsctl" tenant create failover --time-zone UTC >/dev/null
(umask 077 && "$build/tools/tnpsctl" key create --tenant failover --role ingest >"$dir/secrets/ingest.key" 2>/dev/null)
(umask 077 && "$build/tools/tnpsctl" key create --tenant failover --role read >"$dir/secrets/read.key" 2>/dev/null)
"$build/bench/ha_failover" --ha_dir "$dir" --api_key_file "$dir/secrets/ingest.key" \
  --read_key_file "$dir/secrets/read.key" --rounds "$rounds"
