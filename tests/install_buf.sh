#!/usr/bin/env bash
# Installs buf (the protobuf linter and `buf curl`) from the npm registry into
# BUILD_DIR/buf-tool, if npm is available. Exit 77 when it is not.
set -euo pipefail
tools_dir="$1/buf-tool"
buf_version="1.75.0"
if [ -x "$tools_dir/node_modules/.bin/buf" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: buf not installed"
  exit 77
fi
mkdir -p "$tools_dir"
cd "$tools_dir"
npm install --no-save --no-audit --no-fund --silent "@bufbuild/buf@$buf_version" 2>&1 |
  grep -v "Unknown user config" || true
test -x node_modules/.bin/buf
