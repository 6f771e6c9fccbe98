#!/usr/bin/env bash
# The data-rights benchmark (docs/benchmarks.md), in one run on one machine:
# a tenant of RESPONSES responses with personal data loaded into a throwaway
# PostgreSQL cluster; a full ExportResponses (rows/s and the server's
# resident memory); EraseResponses of single customers; then ingest
# latency (SubmitResponse, 64 in flight, as in the ingest benchmark) with
# retention idle, then while retention deletes through the big tenant, then
# while it redacts. Everything listens on 127.0.0.1 and stops by itself.
#
#   bench/run_data_rights_bench.sh [RESPONSES] [UNARY_REQUESTS]
#       (defaults: 10000000 responses, 120000 requests per ingest phase)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000000}"
requests="${2:-120000}"

# Retention rounds every second, so that it starts as soon as the policy
# is set (servers read TNPS_* as their flags' defaults).
export TNPS_RETENTION_INTERVAL=1s
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup data_rights_bench ingest_bench
build/bench/data_rights_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
  --server_pid "$server_pid" --responses "$n"

tenant="rights-$n"
progress() {
  psql "$TNPS_DATABASE_URL" -tAc "SELECT coalesce(sum(redacted_total), 0) || ' redacted, ' ||
    coalesce(sum(deleted_total), 0) || ' deleted' FROM retention_progress p
    JOIN tenants t USING (tenant_id) WHERE t.name = '$tenant'"
}
unary() {
  build/bench/ingest_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
    --unary_only --unary_requests "$requests" | sed "s/^/$1 /"
}
unary "retention idle:      "
# Two years of data: responses older than 700 days are deleted (about 4%),
# then, with a policy of its own (which starts over), those older than a
# year are redacted (about half).
build/tools/tnpsctl retention set --tenant "$tenant" --delete-after 700d
sleep 3
echo "deletion before the ingest phase:  $(progress)"
unary "retention deleting:  "
echo "deletion after the ingest phase:   $(progress)"
build/tools/tnpsctl retention set --tenant "$tenant" --redact-after 365d
sleep 3
echo "redaction before the ingest phase: $(progress)"
unary "retention redacting: "
echo "redaction after the ingest phase:  $(progress)"
printf '%-40s %s\n' "tnps-server peak RSS (whole run)" \
  "$(grep VmHWM /proc/$server_pid/status | awk '{printf "%.0f MB", $2/1024}')"
