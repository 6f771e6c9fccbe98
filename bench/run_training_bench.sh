#!/usr/bin/env bash
# The training benchmark (docs/benchmarks.md): the analytics benchmark's synthetic
# tenant (default 10M responses, 1,000 agents, two years) with a programme of
# 10 cohorts of 50 agents recorded through TrainingService, then p50/p99 of
# GetCohortUplift and GetProgramImpact (weekly, two years) over gRPC.
#
#   bench/run_training_bench.sh [RESPONSES]     (default: 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000000}"

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup analytics_bench
build/bench/analytics_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
  --responses "$n" --training --noanalytics --calls 15
