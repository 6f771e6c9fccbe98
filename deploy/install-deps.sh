#!/usr/bin/env bash
# Installs the Debian 12 packages tnps builds, tests and runs with. Does
# nothing when they are all present already. Needs root (or sudo).
# With --tests, also what only the tests need (Clang for the thread-safety
# build, headless Chromium to render the training report).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpqxx-dev libpq-dev libabsl-dev libgtest-dev libssl-dev zlib1g-dev openssl
  libcurl4-openssl-dev prometheus-cpp-dev
  postgresql postgresql-contrib
)
if [ "${1:-}" = "--tests" ]; then
  # clang: the thread-safety build; libclang-rt: libFuzzer and the sanitizers
  # (fuzz/run.sh); chromium: renders the training report; python3: the
  # webhook receiver of the alert tests; nodejs: the Node webhook verifier;
  # python3-grpcio, python3-protobuf: the Python client (docs/clients.md).
  packages+=(clang libclang-rt-14-dev chromium python3 nodejs python3-grpcio python3-protobuf)
  # prometheus: the metrics end-to-end test scrapes a real server with it,
  # and promtool checks deploy/prometheus/.
  packages+=(prometheus)
  # poppler-utils: pdftoppm renders the report's PDF for its test.
  packages+=(poppler-utils)
  # systemd: systemd-analyze verifies the unit the .deb installs
  # (tests/package_test.sh); in a container it is only a package.
  packages+=(systemd)
  # The high-availability stack the failover test runs (deploy/ha/):
  # etcd, Patroni, HAProxy; curl for its health checks.
  packages+=(etcd-server patroni haproxy curl)
  # npm installs the Node client's packages; a nodejs from elsewhere
  # (NodeSource) brings its own and conflicts with Debian's.
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# No package may start its service while installing (Debian's policy-rc.d
# mechanism): the cluster of the postgresql package is not used (tnps runs
# its own), and the prometheus package's would listen on every interface.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
fi
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
if [ -n "$own_policy" ]; then $sudo rm -f "$policy"; fi
# Nor start at the next boot: the tests run their own Prometheus, etcd and
# HAProxy (deploy/ha/ha-cluster.sh).
for service in prometheus etcd haproxy; do
  if [[ " ${missing[*]} " == *" $service "* || " ${missing[*]} " == *" $service-server "* ]]; then
    $sudo systemctl disable "$service.service" >/dev/null 2>&1 || true
    $sudo update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi
done
exit "$status"
