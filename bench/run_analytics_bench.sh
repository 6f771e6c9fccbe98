#!/usr/bin/env bash
# The analytics benchmark (docs/benchmarks.md): synthetic tenants of 1M and 10M
# responses (1,000 agents, 50 teams, 3 channels, two years) loaded into a
# throwaway cluster, then p50/p99 of AnalyticsService calls over gRPC, and of
# the training benchmark's TrainingService estimates (bench/run_training_bench.sh).
#
#   bench/run_analytics_bench.sh [RESPONSES...] [-- ANALYTICS_BENCH_FLAGS...]
#   (default: 1000000 10000000 -- --training)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sizes+=("$1"); shift; done
[ $# -gt 0 ] && shift
flags=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
[ ${#flags[@]} -gt 0 ] || flags=(--training)

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup analytics_bench
for n in "${sizes[@]}"; do
  build/bench/analytics_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
    --responses "$n" "${flags[@]}"
done
