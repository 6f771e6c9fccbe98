#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running tnps: installs what
# is missing, builds, starts a private PostgreSQL under .tnps/, applies
# migrations, creates a demo tenant with API keys, starts tnps-server on
# 127.0.0.1:50051 over TLS with a private CA (tnps-server and tnpsctl are
# installed in /usr/local/bin),
# posts sample survey responses through the real gRPC API and prints how to
# call it. Run again, it reuses what exists.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

state="$repo/.tnps"
pg_port="${TNPS_PG_PORT:-5433}"
listen="${TNPS_LISTEN:-127.0.0.1:50051}"
tenant="${TNPS_DEMO_TENANT:-demo}"
mkdir -p "$state"
chmod 755 "$state"

echo "== dependencies"
deploy/install-deps.sh

echo "== build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target tnps-server tnpsctl
ctl="$repo/build/tools/tnpsctl"
# On PATH for the commands in docs/ (and where deploy/systemd looks).
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo cmake --install build --prefix /usr/local >/dev/null
echo "   installed $(command -v tnpsctl) and $(command -v tnps-server)"

echo "== PostgreSQL (private cluster, 127.0.0.1:$pg_port)"
cluster="$state/pg"
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$state"; then
  # PostgreSQL runs as `postgres`, which cannot reach this checkout (a
  # private home directory, say): keep the cluster where it can.
  cluster="/var/lib/tnps/$(echo -n "$repo" | sha256sum | cut -c1-12)"
  mkdir -p /var/lib/tnps
  echo "   (cluster in $cluster: user postgres cannot enter $state)"
fi
if [ ! -f "$state/pg-password" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$state/pg-password")
fi
password="$(cat "$state/pg-password")"
deploy/pg-cluster.sh init "$cluster" "$pg_port" "$state/pg-password" >/dev/null
deploy/pg-cluster.sh start "$cluster"
export PGPASSWORD="$password"
admin_url="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres"
if [ "$(psql "$admin_url" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'tnps'")" != "1" ]; then
  # CREATEROLE: `tnpsctl reporting-role create` makes read-only BI logins.
  psql "$admin_url" -qc "CREATE ROLE tnps LOGIN CREATEROLE PASSWORD '$password'"
fi
if [ "$(psql "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = 'tnps'")" != "1" ]; then
  psql "$admin_url" -qc "CREATE DATABASE tnps OWNER tnps"
fi
unset PGPASSWORD
export TNPS_DATABASE_URL="host=127.0.0.1 port=$pg_port dbname=tnps user=tnps password=$password"

echo "== TLS (a private CA and a server certificate under .tnps/tls)"
tls="$state/tls"
deploy/tls-certs.sh "$tls" >/dev/null
export TNPS_TLS_CA_FILE="$tls/ca.pem"
(umask 077 && printf 'export TNPS_DATABASE_URL=%q\nexport TNPS_TLS_CA_FILE=%q\n' \
  "$TNPS_DATABASE_URL" "$TNPS_TLS_CA_FILE" >"$state/env")

echo "== schema"
"$ctl" migrate

echo "== tenant and keys"
if ! "$ctl" tenant list | cut -f2 | grep -qx "$tenant"; then
  "$ctl" tenant create "$tenant" --time-zone Europe/Zurich
fi
if [ ! -f "$state/keys.env" ]; then
  ingest_key="$("$ctl" key create --tenant "$tenant" --role ingest 2>/dev/null)"
  read_key="$("$ctl" key create --tenant "$tenant" --role read 2>/dev/null)"
  admin_key="$("$ctl" key create --tenant "$tenant" --role admin 2>/dev/null)"
  (umask 077 && cat >"$state/keys.env" <<KEYS
TNPS_INGEST_KEY=$ingest_key
TNPS_READ_KEY=$read_key
TNPS_ADMIN_KEY=$admin_key
KEYS
  )
fi
# shellcheck disable=SC1091
source "$state/keys.env"

echo "== tnps-server on $listen"
if [ -f "$state/server.pid" ] && kill -0 "$(cat "$state/server.pid")" 2>/dev/null; then
  echo "   already running (pid $(cat "$state/server.pid")); restarting it on the new build"
  kill "$(cat "$state/server.pid")"
  while kill -0 "$(cat "$state/server.pid")" 2>/dev/null; do sleep 0.2; done
fi
: >"$state/server.log"
nohup "$repo/build/services/tnps-server" --listen "$listen" \
  --tls_cert_file "$tls/server.pem" --tls_key_file "$tls/server.key" >"$state/server.log" 2>&1 &
echo $! >"$state/server.pid"
for _ in $(seq 1 50); do
  grep -q "listening on" "$state/server.log" && break
  kill -0 "$(cat "$state/server.pid")" 2>/dev/null || { cat "$state/server.log"; exit 1; }
  sleep 0.2
done
grep "listening on" "$state/server.log"

echo "== sample responses through IngestService.StreamResponses"
sample="$state/sample-responses.csv"
deploy/sample-responses.sh 400 >"$sample"
TNPS_API_KEY="$TNPS_INGEST_KEY" "$ctl" import "$sample" --server "$listen" || true

echo "== demo contact centre: 18 months, 400 agents, three training waves (tnpsctl demo)"
# Generates through the real API once; later runs only print the impact.
TNPS_API_KEY="$TNPS_ADMIN_KEY" "$ctl" demo --server "$listen"

cat <<DONE

tnps is running.
  server        $listen over TLS   (log $state/server.log, pid $(cat "$state/server.pid"))
  TLS           CA $tls/ca.pem; server certificate $tls/server.pem
                (renew it with deploy/tls-certs.sh $tls; the server picks it up)
  database      $TNPS_DATABASE_URL
                (source $state/env for tnpsctl: database URL and CA file)
  tenant        $tenant (Europe/Zurich)
  API keys      in $state/keys.env
                ingest: $TNPS_INGEST_KEY
                read:   $TNPS_READ_KEY
                admin:  $TNPS_ADMIN_KEY

Submit a response (buf from the npm registry; the server has reflection on):
  npx --yes @bufbuild/buf@1.75.0 curl --protocol grpc --cacert $tls/ca.pem \\
    -H "authorization: Bearer $TNPS_INGEST_KEY" \\
    -d '{"response": {"externalId": "crm-42", "interactionId": "call-42", "agentId": "agent-007", "teamId": "team-blue", "channel": "CHANNEL_PHONE", "score": 9, "comment": "Patient and kind", "interactionTime": "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)", "responseTime": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}}' \\
    https://$listen/tnps.v1.IngestService/SubmitResponse

What the training did (docs/training-impact.md):
  npx --yes @bufbuild/buf@1.75.0 curl --protocol grpc --cacert $tls/ca.pem \\
    -H "authorization: Bearer $TNPS_READ_KEY" -d '{"programId": 1}' \\
    https://$listen/tnps.v1.TrainingService/GetProgramImpact

Stop the server: kill \$(cat $state/server.pid); stop PostgreSQL: deploy/pg-cluster.sh stop $cluster
DONE
