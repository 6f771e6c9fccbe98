#!/usr/bin/env bash
# The Debian package, installed for real: builds it from BUILD_DIR with
# cpack (the binaries as built, stripped), installs it with dpkg -i, checks
# its files and its systemd unit (systemd-analyze verify), runs the
# installed binaries against the test cluster (TNPS_TEST_PG): tnpsctl sets
# up a database, tnps-server serves it, tnpsctl imports three responses
# through it; then removes the package (unless it was installed before).
# Needs root for dpkg: exits 77 (skipped) otherwise.
#
#   tests/package_test.sh BUILD_DIR
set -euo pipefail
build="$(realpath "$1")"
if [ "$(id -u)" -ne 0 ]; then
  echo "package test skipped: dpkg -i needs root"
  exit 77
fi
: "${TNPS_TEST_PG:?set by tests/run.sh}"

work="$(mktemp -d /tmp/tnps-package.XXXXXX)"
database="tnps_pkg_$$"
server_pid=""
installed_before=""
if dpkg-query -W -f='${Status}' tnps 2>/dev/null | grep -q "install ok installed"; then
  installed_before=1
fi
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  psql "$TNPS_TEST_PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true
  if [ -z "$installed_before" ]; then dpkg -r tnps >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cpack"
(cd "$build" && cpack -G DEB -B "$work/package" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb="$(ls "$work"/package/tnps_*.deb)"
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Depends

echo "== dpkg -i"
dpkg -i "$deb" >/dev/null
for f in /usr/bin/tnps-server /usr/bin/tnpsctl /usr/lib/systemd/system/tnps-server.service \
  /usr/share/doc/tnps/examples/tnps-server.env /usr/share/tnps/backup.sh \
  /usr/share/tnps/restore.sh /usr/share/tnps/prometheus/rules.yml; do
  [ -e "$f" ] || fail "$f not installed"
done
grep -qx "ExecStart=/usr/bin/tnps-server --database_url_file=%d/app-database-url" \
  /usr/lib/systemd/system/tnps-server.service || fail "the unit does not start /usr/bin/tnps-server"
if readelf -S /usr/bin/tnps-server | grep -q "\.debug_info"; then fail "tnps-server is not stripped"; fi

echo "== systemd-analyze verify"
# Fails on any complaint about tnps-server.service; what it says about other
# units of the machine (a container's, say) is printed, not judged.
out="$(systemd-analyze verify /usr/lib/systemd/system/tnps-server.service 2>&1)" || fail "$out"
if grep -q "tnps-server" <<<"$out"; then fail "systemd-analyze: $out"; fi
if [ -n "$out" ]; then echo "systemd-analyze, about other units: $out"; fi

echo "== the installed binaries"
# grep reads to the end (not -q): an early exit would SIGPIPE the binary, and
# pipefail would call that a failure.
/usr/bin/tnps-server --help | grep -- "--metrics_listen" >/dev/null || fail "tnps-server --help"
/usr/bin/tnpsctl import --help | grep -- "--delimiter" >/dev/null || fail "tnpsctl import --help"
/usr/bin/tnpsctl db-setup --database "$database" --database_url "$TNPS_TEST_PG" >/dev/null
owner="$TNPS_TEST_PG user=tnps_owner dbname=$database"
/usr/bin/tnpsctl migrate --database_url "$owner" >/dev/null
/usr/bin/tnps-server --database_url "$TNPS_TEST_PG user=tnps_app dbname=$database" \
  --listen 127.0.0.1:0 --shutdown_grace 0s 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do grep -q '"msg":"listening"' "$work/server.log" && break; sleep 0.1; done
address="$(sed -n 's/.*"msg":"listening","address":"\([^"]*\)".*/\1/p' "$work/server.log")"
[ -n "$address" ] || fail "the installed server did not start: $(cat "$work/server.log")"
/usr/bin/tnpsctl tenant create pkg --database_url "$owner" >/dev/null
(umask 077 && /usr/bin/tnpsctl key create --tenant pkg --role ingest --database_url "$owner" 2>/dev/null |
  grep -o 'tnps_[A-Za-z0-9_]*' | head -1 >"$work/ingest.key")
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
cat >"$work/responses.csv" <<CSV
external_id,interaction_id,agent_id,team_id,channel,score,interaction_time,response_time
pkg-1,call-1,agent-1,team-1,phone,10,$now,$now
pkg-2,call-2,agent-1,team-1,chat,7,$now,$now
pkg-3,call-3,agent-2,team-1,email,3,$now,$now
CSV
/usr/bin/tnpsctl import "$work/responses.csv" --server "$address" \
  --api-key-file "$work/ingest.key" || fail "import through the installed server"
stored="$(psql "$TNPS_TEST_PG dbname=$database" -tAc "SELECT count(*) FROM responses")"
[ "$stored" = 3 ] || fail "$stored responses stored, expected 3"
echo "ok: the package installs, its unit verifies, its binaries serve and import"
