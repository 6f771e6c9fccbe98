#!/usr/bin/env bash
# The hostile-client benchmark (docs/benchmarks.md): a tnps-server with its
# default limits, an attacking tenant with the demo's 18 months of data and
# training programme, and a victim tenant ingesting 100 responses/s while
# every attack runs at once for 75 s. Prints the server's peak RSS and
# threads, the victim's latency idle, under attack and after, whether its
# acknowledged responses are all stored, and what each attacker received.
# Everything listens on 127.0.0.1 and stops by itself (about 4 minutes).
#
#   bench/run_hostile_bench.sh [ATTACKS [FLAGS...]]
#
# ATTACKS picks some of unread,silent,big,idle,flood,uplift,guess,deadline
# (comma-separated; default all); FLAGS go to build/bench/hostile_bench
# (for example --attack=30s).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_setup hostile_bench
ctl=build/tools/tnpsctl

key() { "$ctl" key create --tenant "$1" --role "$2" 2>/dev/null; }
"$ctl" tenant create victim >/dev/null
"$ctl" tenant create attacker >/dev/null
victim_ingest="$(key victim ingest)"
victim_read="$(key victim read)"
attacker_admin="$(key attacker admin)"

echo "loading the attacker's data (tnpsctl demo)..."
TNPS_API_KEY="$attacker_admin" "$ctl" demo --server "$server_address" >/dev/null
attacker_id="$(psql "$TNPS_DATABASE_URL" -tAc "SELECT tenant_id FROM tenants WHERE name = 'attacker'")"
cohort_id="$(psql "$TNPS_DATABASE_URL" -tAc \
  "SELECT min(cohort_id) FROM training_cohorts WHERE tenant_id = $attacker_id")"
program_id="$(psql "$TNPS_DATABASE_URL" -tAc \
  "SELECT min(program_id) FROM training_programs WHERE tenant_id = $attacker_id")"
echo "attacker: $(psql "$TNPS_DATABASE_URL" -tAc \
  "SELECT count(*) FROM responses WHERE tenant_id = $attacker_id") responses"

build/bench/hostile_bench --database_url "$TNPS_DATABASE_URL" --server "$server_address" \
  --server_pid "$server_pid" --victim_ingest_key "$victim_ingest" --victim_read_key "$victim_read" \
  --attacker_read_key "$(key attacker read)" --attacker_ingest_key "$(key attacker ingest)" \
  --cohort_id "$cohort_id" --program_id "$program_id" \
  --attacks "${1:-unread,silent,big,idle,flood,uplift,guess,deadline}" "${@:2}"
