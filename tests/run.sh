#!/usr/bin/env bash
# Installs what is missing, builds everything (and the server and tnpsctl
# again with Clang's thread-safety analysis, and the fuzz targets), starts
# a throwaway PostgreSQL cluster on a free loopback port, runs every test
# (unit, integration, end-to-end), fuzzes each target for 15 s and removes
# the cluster. Extra arguments go to ctest (for example: tests/run.sh -R
# e2e).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh --tests

build="${TNPS_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build"

# The same sources under Clang, whose -Wthread-safety checks the lock
# annotations (ABSL_GUARDED_BY and friends) that GCC ignores; a violation
# fails the build. Debug (-O0) keeps this second build short.
CXX=clang++ cmake -S . -B "$build-clang" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build-clang" --target tnps-server tnpsctl

# buf, for the API lint and the `buf curl` test (skipped without npm).
tests/install_buf.sh "$build" || true
# The Node client example's packages (its test is skipped without npm).
tests/install_node_client.sh "$build" || true

port=55432
while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
cluster="$(mktemp -d /tmp/tnps-test-pg.XXXXXX)"
trap 'deploy/pg-cluster.sh destroy "$cluster"' EXIT
deploy/pg-cluster.sh init "$cluster" "$port"
deploy/pg-cluster.sh start "$cluster"
echo "test cluster: $cluster on 127.0.0.1:$port"

export TNPS_TEST_PG="host=127.0.0.1 port=$port user=postgres connect_timeout=5"
export TNPS_TEST_PG_CLUSTER_DIR="$cluster"
ctest --test-dir "$build" --output-on-failure --timeout 600 -j 2 "$@"

# The libFuzzer targets (Clang, ASan, UBSan, built by fuzz/run.sh in
# $build-fuzz), each fuzzed 15 s from the seeds and whatever corpus earlier
# runs on this machine kept (longer runs are in docs/benchmarks.md).
TNPS_FUZZ_BUILD_DIR="$build-fuzz" fuzz/run.sh 15
