#!/usr/bin/env bash
# The attribute-dimension benchmark (docs/benchmarks.md): the analytics
# benchmark's synthetic tenant with queue and language attributes on every
# response (default 1M and 10M responses), "queue" declared as a dimension
# through AnalyticsService, the time its back-fill takes with steady ingest
# before and during it, then p50/p99 of attribute filters and breakdowns
# over gRPC; and the BI views' two-year weekly team queries as a BI login,
# against the API's weekly trend.
#
#   bench/run_attribute_bench.sh [RESPONSES...]     (default: 1000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
exec bench/run_analytics_bench.sh "${sizes[@]}" -- --attributes --bi
