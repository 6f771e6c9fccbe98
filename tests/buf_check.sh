#!/usr/bin/env bash
# The public API must be `buf lint` clean (STANDARD) and `buf format`ted.
# Without npm (so without buf) the check is skipped: exit 77, which ctest
# reports as skipped, not passed.
set -euo pipefail
source_dir="$1"
build_dir="$2"
"$source_dir/tests/install_buf.sh" "$build_dir" || exit $?
buf="$build_dir/buf-tool/node_modules/.bin/buf"
cd "$source_dir"
"$buf" lint
"$buf" format --diff --exit-code
echo "buf lint and buf format: clean"
