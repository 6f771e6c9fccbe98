#!/usr/bin/env bash
# The attribute-dimension benchmark (docs/benchmarks.md): the analytics
# benchmark's synthetic tenant with queue and language attributes on every
# response (default 1M and 10M responses), "queue" declared as a dimension
# through AnalyticsService, the time its back-fill takes, then p50/p99 of
# attribute filters and breakdowns over gRPC; and the BI views' two-year
# weekly team queries as a BI login, against the API's weekly trend.
#
#   bench/run_attribute_bench.sh [RESPONSES...]     (default: 1000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup analytics_bench
for n in "${sizes[@]}"; do
  build/bench/analytics_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
    --responses "$n" --attributes --bi
done
