#!/usr/bin/env bash
# ctest ha.failover: the short version of bench/run_ha_failover.sh. Two
# failovers of the HA stack under steady ingest (a crash of the primary's
# PostgreSQL, then the loss of its whole node with one tnps-server replica):
# nothing acknowledged lost, nothing stored twice or unacknowledged, rollups
# equal to a recount. Needs root and the HA packages (deploy/install-deps.sh
# --tests); skipped (exit 77) without them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ] || ! command -v patroni >/dev/null || ! command -v etcd >/dev/null ||
  ! command -v haproxy >/dev/null; then
  echo "skipped: needs root, etcd, patroni and haproxy"
  exit 77
fi
TNPS_BUILD_DIR="${1:-build}" exec bench/run_ha_failover.sh 2 "${TNPS_HA_BASE_PORT:-27300}"
