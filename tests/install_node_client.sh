#!/usr/bin/env bash
# Installs the Node client example's packages (examples/clients/node's
# package.json and package-lock.json, exact versions) from the npm registry
# into BUILD_DIR/clients/node, where the clients end-to-end test runs it
# with NODE_PATH. Exit 77 when node or npm is missing or the registry is
# unreachable; any other failure is an error.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$1/clients/node"
example="$repo/examples/clients/node"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node or npm not found: the Node client's packages were not installed"
  exit 77
fi
mkdir -p "$dir"
# The test may call this too: one install at a time.
exec 9>"$dir/.install.lock"
flock 9
if [ -d "$dir/node_modules/@grpc/grpc-js" ] &&
  cmp -s "$example/package-lock.json" "$dir/package-lock.json"; then
  exit 0
fi
cp "$example/package.json" "$example/package-lock.json" "$dir/"
cd "$dir"
if ! npm ci --ignore-scripts --no-audit --no-fund --silent 2>npm-ci.log; then
  if ! npm ping >/dev/null 2>&1; then
    echo "the npm registry is unreachable: the Node client's packages were not installed"
    exit 77
  fi
  cat npm-ci.log >&2
  exit 1
fi
rm -f npm-ci.log
test -d node_modules/@grpc/grpc-js
