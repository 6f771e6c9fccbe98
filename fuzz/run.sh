#!/usr/bin/env bash
# Builds the libFuzzer targets (Clang with AddressSanitizer and UBSan, in
# build-fuzz/) and runs each for SECONDS seconds. Each target keeps its
# corpus in .fuzz-corpus/TARGET (new inputs are added there, so later runs
# start where earlier ones stopped) and starts from the seeds in
# fuzz/seeds/TARGET. A crash, leak or sanitizer report stops the script
# with the input saved as build-fuzz/fuzz/crash-TARGET-*.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     (default 60 s, every target)
#
# Targets: ingest_request analytics_request training_request response_request
# alert_request csv_import did_panel.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(ingest_request analytics_request training_request response_request alert_request
    csv_import did_panel)
fi
build="${TNPS_FUZZ_BUILD_DIR:-build-fuzz}"
corpus_root="${TNPS_FUZZ_CORPUS_DIR:-.fuzz-corpus}"

CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTNPS_FUZZ=ON \
  >/dev/null
cmake --build "$build" --target "${targets[@]/%/_fuzzer}"

seeds_tmp="$(mktemp -d)"
trap 'rm -rf "$seeds_tmp"' EXIT

# Seeds: files as they are, and text-format protos (NAME.txtpb, or
# N-NAME.txtpb for a target whose first byte picks the message) encoded
# the way a client would send them.
seed_dir() {
  local target="$1" out="$seeds_tmp/$1"
  mkdir -p "$out"
  for seed in fuzz/seeds/"$target"/*; do
    local name
    name="$(basename "$seed")"
    case "$name" in
      *.txtpb)
        local message="${name%.txtpb}" selector=""
        if [[ "$message" =~ ^([0-9]+)-(.*)$ ]]; then
          selector="${BASH_REMATCH[1]}"
          message="${BASH_REMATCH[2]}"
        fi
        {
          if [ -n "$selector" ]; then printf "\\x$(printf %02x "$selector")"; fi
          protoc -I proto -I /usr/include --encode="tnps.v1.$message" \
            proto/tnps/v1/*.proto <"$seed"
        } >"$out/$name.bin"
        ;;
      *) cp "$seed" "$out/" ;;
    esac
  done
  echo "$out"
}

for target in "${targets[@]}"; do
  corpus="$corpus_root/$target"
  mkdir -p "$corpus"
  seeds="$(seed_dir "$target")"
  echo "== $target: ${seconds} s, corpus $corpus ($(find "$corpus" -type f | wc -l) inputs)"
  log="$build/fuzz/$target.log"
  status=0
  "$build/fuzz/${target}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/fuzz/crash-$target-" \
    "$corpus" "$seeds" >"$log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || true
  if [ "$status" -ne 0 ]; then
    grep -E "ERROR|SUMMARY|Test unit written|artifact" "$log" >&2 || true
    echo "fuzz/run.sh: $target failed (exit $status); see $log" >&2
    exit 1
  fi
done
