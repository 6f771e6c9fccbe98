#!/usr/bin/env bash
# The public API must be `buf lint` clean (STANDARD) and `buf format`ted.
# buf comes from the npm registry into the build tree; without npm the check
# is skipped (exit 77, which ctest reports as skipped, not passed).
set -euo pipefail
source_dir="$1"
tools_dir="$2/buf-tool"
buf_version="1.75.0"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: buf lint skipped"
  exit 77
fi
if [ ! -x "$tools_dir/node_modules/.bin/buf" ]; then
  mkdir -p "$tools_dir"
  (cd "$tools_dir" && npm install --no-save --no-audit --no-fund --silent "@bufbuild/buf@$buf_version")
fi
cd "$source_dir"
"$tools_dir/node_modules/.bin/buf" lint
"$tools_dir/node_modules/.bin/buf" format --diff --exit-code
echo "buf lint and buf format: clean"
