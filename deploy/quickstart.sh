#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running tnps: installs what
# is missing, builds, starts a private PostgreSQL under .tnps/ with the
# least-privilege roles of docs/security.md, applies migrations, creates a
# demo tenant with API keys, starts tnps-server on 127.0.0.1:50051 over TLS
# with a private CA (as the system user `tnps` when run as root; tnps-server
# and tnpsctl are installed in /usr/local/bin), posts sample survey
# responses through the real gRPC API and prints how to call it. Secrets
# stay in files of mode 0600 under .tnps/secrets: the output names paths
# only. Run again, it reuses what exists.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

state="$repo/.tnps"
secrets="$state/secrets"
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
# Every secret is a file of mode 0600 under .tnps/secrets; only paths are
# printed, and no secret is ever on a command line. Three database
# passwords: the superuser's, used by this script alone, and those of
# tnps_owner (tnpsctl) and tnps_app (the server): docs/security.md.
(umask 077 && mkdir -p "$secrets")
chmod 700 "$secrets"
if [ -f "$state/pg-password" ] && [ ! -f "$secrets/superuser.password" ]; then
  # Earlier quickstarts kept the superuser's password here and gave the app the same one.
  mv "$state/pg-password" "$secrets/superuser.password"
fi
new_password() {
  [ -f "$1" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$1")
}
for who in superuser owner app; do new_password "$secrets/$who.password"; done
deploy/pg-cluster.sh init "$cluster" "$pg_port" "$secrets/superuser.password" >/dev/null
deploy/pg-cluster.sh start "$cluster"
# libpq password files (printf is a shell builtin: the password is in no
# process's arguments).
pgpass() {
  (umask 077 && printf '127.0.0.1:%s:*:%s:%s\n' "$pg_port" "$1" "$(cat "$2")" >"$3")
}
pgpass postgres "$secrets/superuser.password" "$secrets/superuser.pgpass"
pgpass tnps_owner "$secrets/owner.password" "$secrets/owner.pgpass"
superuser_url="host=127.0.0.1 port=$pg_port user=postgres passfile=$secrets/superuser.pgpass"
if [ "$(psql "$superuser_url dbname=postgres" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'tnps'")" = 1 ]; then
  # Earlier quickstarts ran everything as one role `tnps` with CREATEROLE.
  echo "   moving the database from role tnps (CREATEROLE) to tnps_owner and tnps_app"
  psql "$superuser_url dbname=postgres" -qc \
    "DO \$\$ BEGIN CREATE ROLE tnps_owner; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
  psql "$superuser_url dbname=tnps" -qc "REASSIGN OWNED BY tnps TO tnps_owner" \
    -c "DROP OWNED BY tnps"
  psql "$superuser_url dbname=postgres" -qc "ALTER DATABASE tnps OWNER TO tnps_owner" \
    -c "DROP ROLE tnps"
fi
"$ctl" db-setup --database tnps --database-url "$superuser_url" \
  --owner-password-file "$secrets/owner.password" --app-password-file "$secrets/app.password"
export TNPS_DATABASE_URL="host=127.0.0.1 port=$pg_port dbname=tnps user=tnps_owner passfile=$secrets/owner.pgpass"

echo "== TLS (a private CA and a server certificate under .tnps/tls)"
tls="$state/tls"
deploy/tls-certs.sh "$tls" >/dev/null
export TNPS_TLS_CA_FILE="$tls/ca.pem"
(umask 077 && printf 'export TNPS_DATABASE_URL=%q\nexport TNPS_TLS_CA_FILE=%q\n' \
  "$TNPS_DATABASE_URL" "$TNPS_TLS_CA_FILE" >"$state/env")

echo "== schema"
"$ctl" migrate

echo "== tenant and keys (in $secrets: ROLE.key, and ROLE.header for buf curl -H @FILE)"
if ! "$ctl" tenant list | cut -f2 | grep -qx "$tenant"; then
  "$ctl" tenant create "$tenant" --time-zone Europe/Zurich
fi
if [ -f "$state/keys.env" ]; then
  # Earlier quickstarts kept the three keys in one file.
  # shellcheck disable=SC1091
  source "$state/keys.env"
  for role in ingest read admin; do
    var="TNPS_${role^^}_KEY"
    (umask 077 && printf '%s\n' "${!var}" >"$secrets/$role.key")
  done
  rm -f "$state/keys.env"
fi
for role in ingest read admin; do
  if [ ! -f "$secrets/$role.key" ]; then
    (umask 077 && "$ctl" key create --tenant "$tenant" --role "$role" 2>/dev/null \
      >"$secrets/$role.key.new")
    mv "$secrets/$role.key.new" "$secrets/$role.key"
  fi
  (umask 077 && printf 'authorization: Bearer %s\n' "$(cat "$secrets/$role.key")" >"$secrets/$role.header")
done

echo "== tnps-server on $listen"
# Started as root, the server runs as the system user `tnps`, with its own
# directory (its database password file, a copy of its TLS key, its log).
run_as=()
server_dir="$state/server"
if [ "$(id -u)" -eq 0 ]; then
  id -u tnps >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin tnps
  run_as=(setpriv --reuid tnps --regid tnps --init-groups --)
  server_dir="/var/lib/tnps/server-$(echo -n "$repo" | sha256sum | cut -c1-12)"
fi
mkdir -p "$server_dir/tls"
chmod 700 "$server_dir"
pgpass tnps_app "$secrets/app.password" "$server_dir/pgpass"
install -m 600 "$tls/server.pem" "$tls/server.key" "$server_dir/tls/"
: >"$server_dir/server.log"
rm -f "$state/server.log"  # where earlier quickstarts logged, readable by all
chmod 640 "$server_dir/server.log"
if [ "$(id -u)" -eq 0 ]; then chown -R tnps:tnps "$server_dir"; fi
app_url="host=127.0.0.1 port=$pg_port dbname=tnps user=tnps_app passfile=$server_dir/pgpass"
if [ -f "$state/server.pid" ] && kill -0 "$(cat "$state/server.pid")" 2>/dev/null; then
  echo "   already running (pid $(cat "$state/server.pid")); restarting it on the new build"
  kill "$(cat "$state/server.pid")"
  while kill -0 "$(cat "$state/server.pid")" 2>/dev/null; do sleep 0.2; done
fi
(cd / && exec nohup "${run_as[@]}" /usr/local/bin/tnps-server --listen "$listen" \
  --database_url "$app_url" --tls_cert_file "$server_dir/tls/server.pem" \
  --tls_key_file "$server_dir/tls/server.key") >>"$server_dir/server.log" 2>&1 &
echo $! >"$state/server.pid"
for _ in $(seq 1 50); do
  grep -q '"msg":"listening"' "$server_dir/server.log" && break
  kill -0 "$(cat "$state/server.pid")" 2>/dev/null || { cat "$server_dir/server.log"; exit 1; }
  sleep 0.2
done
echo "tnps-server: $(sed -n 's/.*"msg":"listening","address":"\([^"]*\)","security":"\([^"]*\)".*/listening on \1 (\2)/p' "$server_dir/server.log")"

echo "== sample responses through IngestService.StreamResponses"
sample="$state/sample-responses.csv"
deploy/sample-responses.sh 400 >"$sample"
"$ctl" import "$sample" --server "$listen" --api-key-file "$secrets/ingest.key" || true

echo "== demo contact centre: 18 months, 400 agents, three training waves (tnpsctl demo)"
# Generates through the real API once; later runs only print the impact.
"$ctl" demo --server "$listen" --api-key-file "$secrets/admin.key"

cat <<DONE

tnps is running.
  server        $listen over TLS, as user $([ "$(id -u)" -eq 0 ] && echo tnps || id -un)
                (log $server_dir/server.log, pid $(cat "$state/server.pid"))
  TLS           CA $tls/ca.pem; server certificate $tls/server.pem; renew with
                deploy/tls-certs.sh $tls && install -m 600 $tls/server.pem $tls/server.key $server_dir/tls/
                (then chown tnps $server_dir/tls/*; the server picks it up)
  database      tnps_owner for tnpsctl: source $state/env
                (password files in $secrets; roles in docs/security.md)
  tenant        $tenant (Europe/Zurich)
  API keys      $secrets/{ingest,read,admin}.key (and .header for buf curl)

Submit a response (buf from the npm registry; the server has reflection on):
  npx --yes @bufbuild/buf@1.75.0 curl --protocol grpc --cacert $tls/ca.pem \\
    -H @$secrets/ingest.header \\
    -d '{"response": {"externalId": "crm-$(date +%s)", "interactionId": "call-42", "agentId": "agent-007", "teamId": "team-blue", "channel": "CHANNEL_PHONE", "score": 9, "comment": "Patient and kind", "interactionTime": "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)", "responseTime": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}}' \\
    https://$listen/tnps.v1.IngestService/SubmitResponse

What the training did (docs/training-impact.md):
  npx --yes @bufbuild/buf@1.75.0 curl --protocol grpc --cacert $tls/ca.pem \\
    -H @$secrets/read.header -d '{"programId": 1}' \\
    https://$listen/tnps.v1.TrainingService/GetProgramImpact

Stop the server: kill \$(cat $state/server.pid); stop PostgreSQL: deploy/pg-cluster.sh stop $cluster
DONE
