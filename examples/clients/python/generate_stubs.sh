#!/usr/bin/env bash
# Generates the Python message and gRPC stubs of the tnps API (and of
# google.rpc.Status, BadRequest and RetryInfo, to decode error details)
# into OUT_DIR, with Debian's protoc 3.21 and grpc_python_plugin
# (packages protobuf-compiler, protobuf-compiler-grpc). The stubs are
# build output: generate them, never commit them.
#
#   examples/clients/python/generate_stubs.sh OUT_DIR
#
# Then run with PYTHONPATH=OUT_DIR (docs/clients.md).
set -euo pipefail
out="${1:?usage: examples/clients/python/generate_stubs.sh OUT_DIR}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
plugin="$(command -v grpc_python_plugin || true)"
if [ -z "$plugin" ] || ! command -v protoc >/dev/null; then
  echo "generate_stubs: needs protoc and grpc_python_plugin" \
    "(apt-get install protobuf-compiler protobuf-compiler-grpc)" >&2
  exit 1
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$repo"
protoc -I proto --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" proto/tnps/v1/*.proto proto/google/rpc/*.proto
