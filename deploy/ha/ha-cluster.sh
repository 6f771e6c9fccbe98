#!/usr/bin/env bash
# The high-availability stack on one machine's loopback, for trying it out
# and for the failover tests (docs/high-availability.md):
#
#   - a 3-member etcd cluster (Patroni's consensus store);
#   - 3 PostgreSQL 15 nodes under Patroni, with synchronous replication;
#   - HAProxy: PostgreSQL writes to the primary, reads to the standbys, and
#     gRPC over HTTP/2 balanced per call across the tnps-server replicas;
#   - 2 tnps-server replicas (or TNPS_HA_SERVERS) behind it.
#
#   deploy/ha/ha-cluster.sh start DIR [BASE_PORT]   as root; BASE_PORT 27000
#   deploy/ha/ha-cluster.sh status DIR
#   deploy/ha/ha-cluster.sh stop DIR                 stops everything, removes DIR
#
# The configuration files are generated into DIR from deploy/ha/*.in, which
# say what to change for separate hosts. Every secret is a file of mode
# 0600 in DIR/secrets; none is passed on a command line. Each part runs as
# its own user: etcd as etcd, Patroni and PostgreSQL as postgres,
# tnps-server as tnps (created if missing); HAProxy starts as root and
# drops to haproxy.
#
# Needs Debian's etcd-server, patroni, haproxy and postgresql-15
# (deploy/install-deps.sh --tests), and tnps-server and tnpsctl in
# TNPS_BIN_DIR (default: the build tree, or /usr/bin when installed).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
usage() {
  echo "usage: $0 start DIR [BASE_PORT] | status DIR | stop DIR" >&2
  exit 2
}
[ $# -ge 2 ] || usage
command="$1"
dir="$2"

bin_dir="${TNPS_BIN_DIR:-}"
if [ -z "$bin_dir" ]; then
  if [ -x "$repo/build/services/tnps-server" ]; then
    bin_dir="$repo/build"
  else
    bin_dir=/usr
  fi
fi
server_bin="$bin_dir/services/tnps-server"
ctl_bin="$bin_dir/tools/tnpsctl"
[ -x "$server_bin" ] || server_bin="$bin_dir/bin/tnps-server"
[ -x "$ctl_bin" ] || ctl_bin="$bin_dir/bin/tnpsctl"

# Ports, from BASE_PORT (below Linux's ephemeral range, 32768 and up, so
# that no client connection holds one by chance): etcd clients +1..+3 and peers +11..+13, Patroni's
# REST API +21..+23, PostgreSQL +31..+33, HAProxy's PostgreSQL write and
# read ports +40 and +41, its stats +49 and gRPC +50, the tnps-server
# replicas +61.. and their metrics +71..
set_ports() {
  base_port="$1"
  servers="${TNPS_HA_SERVERS:-2}"
  pg_write=$((base_port + 40))
  pg_read=$((base_port + 41))
  stats_port=$((base_port + 49))
  grpc_port=$((base_port + 50))
}
etcd_client() { echo $((base_port + $1)); }
etcd_peer() { echo $((base_port + 10 + $1)); }
rest_port() { echo $((base_port + 20 + $1)); }
pg_port() { echo $((base_port + 30 + $1)); }
server_port() { echo $((base_port + 60 + $1)); }
metrics_port() { echo $((base_port + 70 + $1)); }

# Fills @NAME@ placeholders of template $1 from the NAME=VALUE pairs after
# it, into file $2 (values may hold / and &).
fill() {
  local template="$1" out="$2"
  shift 2
  local text
  text="$(cat "$template")"
  local pair
  for pair in "$@"; do
    local name="${pair%%=*}" value="${pair#*=}"
    text="${text//@$name@/$value}"
  done
  printf '%s\n' "$text" >"$out"
}

wait_for() {
  local what="$1" seconds="$2"
  shift 2
  local i
  for i in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "ha-cluster: $what not ready after ${seconds}s" >&2
  return 1
}

http_ok() { curl -fs --noproxy '*' -o /dev/null "$1"; }

# The member whose Patroni answers GET /primary with 200, if any.
primary_member() {
  local i
  for i in 1 2 3; do
    if http_ok "http://127.0.0.1:$(rest_port "$i")/primary"; then
      echo "pg$i"
      return 0
    fi
  done
  return 1
}

# HAProxy's write port reaches the primary, and only it: its checks have
# marked the standbys down.
primary_behind_haproxy() {
  local states
  states="$(curl -fsS --noproxy '*' "http://127.0.0.1:$stats_port/;csv" |
    awk -F, '$1 == "postgres_primary" && $2 ~ /^pg/ {print $18}' | sort | tr '\n' ,)"
  # Fully down ("DOWN", not "DOWN 1/2" coming up or "UP 1/2" going down).
  [ "$states" = "DOWN,DOWN,UP," ] &&
    [ "$(PGPASSFILE="$dir/secrets/superuser.pgpass" psql -tAc 'SELECT pg_is_in_recovery()' \
      "host=127.0.0.1 port=$pg_write user=postgres dbname=postgres connect_timeout=2")" = f ]
}

has_sync_standby() {
  curl -fsS --noproxy '*' "http://127.0.0.1:$(rest_port 1)/cluster" | grep -q '"role": *"sync_standby"'
}

# Runs command $4... as user $1 in the background, from /, its output to $3, and
# writes the command's own pid (not runuser's) to $2, a file that user can
# write: signals, SIGKILL included, must reach the process itself.
spawn() {
  local user="$1" pid_file="$2" log="$3"
  shift 3
  # From /: the caller's directory may be one the user cannot enter (a
  # fresh clone in a private temporary directory), and Patroni's worker
  # processes change back into the directory they were started from.
  (cd / && exec runuser -u "$user" -- sh -c 'echo $$ >"$0"; exec "$@"' "$pid_file" "$@") \
    >"$log" 2>&1 &
}

secret() {
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

start() {
  local base="${1:-27000}"
  [ "$(id -u)" = 0 ] || { echo "ha-cluster: start as root (it runs each part as its own user)" >&2; exit 1; }
  [ ! -e "$dir" ] || { echo "ha-cluster: $dir exists; stop it first" >&2; exit 1; }
  for tool in etcd patroni haproxy curl; do
    command -v "$tool" >/dev/null || { echo "ha-cluster: $tool missing (deploy/install-deps.sh --tests)" >&2; exit 1; }
  done
  [ -x "$server_bin" ] && [ -x "$ctl_bin" ] || { echo "ha-cluster: no tnps-server/tnpsctl in $bin_dir" >&2; exit 1; }
  id tnps >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin tnps
  id etcd >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin etcd
  set_ports "$base"

  mkdir -p "$dir"
  chmod 755 "$dir"
  echo "$base" >"$dir/base_port"
  echo "$servers" >"$dir/servers"
  mkdir -p "$dir/run" "$dir/logs" "$dir/secrets" "$dir/etcd" "$dir/pg"
  # Each file is readable by its user alone; the directory lets them reach it.
  chmod 711 "$dir/secrets"
  chmod 777 "$dir/logs"
  chown postgres: "$dir/pg"
  chown etcd: "$dir/etcd"

  # Secrets: Patroni's roles, the tnps roles, and the URLs that carry them.
  local superuser_pw replication_pw rewind_pw owner_pw app_pw
  superuser_pw="$(secret)"
  replication_pw="$(secret)"
  rewind_pw="$(secret)"
  owner_pw="$(secret)"
  app_pw="$(secret)"
  (umask 077
    printf '%s\n' "$owner_pw" >"$dir/secrets/owner.pw"
    printf '%s\n' "$app_pw" >"$dir/secrets/app.pw"
    printf '127.0.0.1:%s:*:postgres:%s\n' "$pg_write" "$superuser_pw" >"$dir/secrets/superuser.pgpass"
    printf 'host=127.0.0.1 port=%s user=tnps_owner dbname=tnps password=%s connect_timeout=3\n' \
      "$pg_write" "$owner_pw" >"$dir/secrets/owner.url"
    printf 'host=127.0.0.1 port=%s user=tnps_app dbname=tnps password=%s connect_timeout=3\n' \
      "$pg_write" "$app_pw" >"$dir/secrets/app.url"
    printf 'host=127.0.0.1 port=%s user=tnps_app dbname=tnps password=%s connect_timeout=3\n' \
      "$pg_read" "$app_pw" >"$dir/secrets/app-read.url")
  chown tnps: "$dir/secrets/app.url" "$dir/secrets/app-read.url"

  # etcd.
  local cluster="" i
  for i in 1 2 3; do cluster+="${cluster:+,}e$i=http://127.0.0.1:$(etcd_peer "$i")"; done
  for i in 1 2 3; do
    mkdir -p "$dir/etcd/e$i"
    chown etcd: "$dir/etcd/e$i"
    chmod 700 "$dir/etcd/e$i"
    fill "$here/etcd.conf.yml.in" "$dir/etcd/e$i.yml" NAME="e$i" DATA_DIR="$dir/etcd/e$i/data" \
      CLIENT_PORT="$(etcd_client "$i")" PEER_PORT="$(etcd_peer "$i")" INITIAL_CLUSTER="$cluster"
    spawn etcd "$dir/etcd/e$i.pid" "$dir/logs/etcd$i.log" etcd --config-file "$dir/etcd/e$i.yml"
  done
  for i in 1 2 3; do wait_for "etcd e$i" 30 http_ok "http://127.0.0.1:$(etcd_client "$i")/health"; done

  # Patroni and PostgreSQL. The first node to get the leader key runs
  # initdb; the others clone it with pg_basebackup and follow.
  local etcd_hosts=""
  for i in 1 2 3; do etcd_hosts+="${etcd_hosts:+,}127.0.0.1:$(etcd_client "$i")"; done
  for i in 1 2 3; do
    mkdir -p "$dir/pg/pg$i" "$dir/pg/socket$i"
    chown postgres: "$dir/pg/pg$i" "$dir/pg/socket$i"
    chmod 700 "$dir/pg/pg$i"
    (umask 077
      fill "$here/patroni.yml.in" "$dir/pg/pg$i.yml" NAME="pg$i" REST_PORT="$(rest_port "$i")" \
        ETCD_HOSTS="$etcd_hosts" PG_PORT="$(pg_port "$i")" DATA_DIR="$dir/pg/pg$i/data" \
        PGPASS="$dir/pg/pg$i/pgpass" SOCKET_DIR="$dir/pg/socket$i" \
        SUPERUSER_PASSWORD="$superuser_pw" REPLICATION_PASSWORD="$replication_pw" \
        REWIND_PASSWORD="$rewind_pw")
    chown postgres: "$dir/pg/pg$i.yml"
    spawn postgres "$dir/pg/patroni$i.pid" "$dir/logs/patroni$i.log" patroni "$dir/pg/pg$i.yml"
  done
  wait_for "a Patroni primary" 90 primary_member
  wait_for "a synchronous standby" 90 has_sync_standby

  # HAProxy.
  local pg_servers="" pg_read_servers="" tnps_servers=""
  for i in 1 2 3; do
    pg_servers+="  server pg$i 127.0.0.1:$(pg_port "$i") check port $(rest_port "$i")"$'\n'
    pg_read_servers+="  server pg$i 127.0.0.1:$(pg_port "$i") check port $(rest_port "$i")"$'\n'
  done
  for i in $(seq 1 "$servers"); do
    tnps_servers+="  server tnps$i 127.0.0.1:$(server_port "$i") proto h2 check port $(metrics_port "$i") check-proto h1"$'\n'
  done
  fill "$here/haproxy.cfg.in" "$dir/haproxy.cfg" RUN_DIR="$dir/run" PG_WRITE_PORT="$pg_write" \
    PG_READ_PORT="$pg_read" GRPC_PORT="$grpc_port" STATS_PORT="$stats_port" \
    PG_SERVERS="${pg_servers%$'\n'}" PG_READ_SERVERS="${pg_read_servers%$'\n'}" \
    TNPS_SERVERS="${tnps_servers%$'\n'}"
  haproxy -c -q -f "$dir/haproxy.cfg"
  haproxy -f "$dir/haproxy.cfg" -db >"$dir/logs/haproxy.log" 2>&1 &
  echo $! >"$dir/run/haproxy.pid"

  # The tnps database, through HAProxy's write port, once its checks have
  # marked the standbys down (servers start as up).
  wait_for "the primary through HAProxy" 30 primary_behind_haproxy
  PGPASSFILE="$dir/secrets/superuser.pgpass" "$ctl_bin" db-setup \
    --database_url "host=127.0.0.1 port=$pg_write user=postgres dbname=postgres" \
    --owner_password_file "$dir/secrets/owner.pw" --app_password_file "$dir/secrets/app.pw" \
    >"$dir/logs/db-setup.log"
  "$ctl_bin" migrate --database_url_file "$dir/secrets/owner.url" >"$dir/logs/migrate.log"

  # The tnps-server replicas.
  # A copy of the binary the tnps user can reach (a build tree may sit in a
  # directory only root can enter).
  mkdir -p "$dir/tnps" "$dir/bin"
  chown tnps: "$dir/tnps"
  install -m 755 "$server_bin" "$dir/bin/tnps-server"
  for i in $(seq 1 "$servers"); do
    spawn tnps "$dir/tnps/tnps$i.pid" "$dir/logs/tnps$i.log" "$dir/bin/tnps-server" \
      --database_url_file "$dir/secrets/app.url" \
      --read_database_url_file "$dir/secrets/app-read.url" --listen "127.0.0.1:$(server_port "$i")" \
      --metrics_listen "127.0.0.1:$(metrics_port "$i")"
  done
  for i in $(seq 1 "$servers"); do
    wait_for "tnps-server $i" 30 http_ok "http://127.0.0.1:$(metrics_port "$i")/healthz"
  done
  wait_for "HAProxy's gRPC backends" 30 sh -c \
    "curl -fsS --noproxy '*' 'http://127.0.0.1:$stats_port/;csv' | grep -q '^tnps_servers,tnps1,.*,UP,'"

  cat <<EOF
HA stack up in $dir (base port $base):
  gRPC (HTTP/2, plaintext):  127.0.0.1:$grpc_port     -> $servers tnps-server replicas
  PostgreSQL primary:        127.0.0.1:$pg_write     standbys: 127.0.0.1:$pg_read
  HAProxy stats:             http://127.0.0.1:$stats_port/
  Patroni primary:           $(primary_member)
  owner URL (for tnpsctl):   $dir/secrets/owner.url
EOF
}

status() {
  [ -f "$dir/base_port" ] || { echo "ha-cluster: nothing in $dir" >&2; exit 1; }
  set_ports "$(cat "$dir/base_port")"
  servers="$(cat "$dir/servers")"
  local i
  for i in 1 2 3; do
    printf 'etcd e%s: %s\n' "$i" "$(curl -fsS --noproxy '*' "http://127.0.0.1:$(etcd_client "$i")/health" 2>/dev/null || echo down)"
  done
  patronictl -c "$dir/pg/pg1.yml" list 2>/dev/null || echo "patroni: no answer"
  curl -fsS --noproxy '*' "http://127.0.0.1:$stats_port/;csv" 2>/dev/null |
    awk -F, '$2 != "FRONTEND" && $2 != "BACKEND" && NR > 1 {print "haproxy " $1 "/" $2 ": " $18}' ||
    echo "haproxy: no answer"
  for i in $(seq 1 "$servers"); do
    printf 'tnps-server %s: %s\n' "$i" \
      "$(curl -fsS --noproxy '*' "http://127.0.0.1:$(metrics_port "$i")/healthz" 2>/dev/null | grep '^tnps_serving' || echo down)"
  done
}

stop_pidfile() {
  local file="$1" pid
  [ -s "$file" ] || return 0
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  [ -d "$dir" ] || return 0
  local f
  for f in "$dir"/tnps/tnps*.pid; do stop_pidfile "$f"; done
  stop_pidfile "$dir/run/haproxy.pid"
  # Patroni stops its PostgreSQL on SIGTERM; a PostgreSQL left by a killed
  # Patroni is stopped by its data directory.
  for f in "$dir"/pg/patroni*.pid; do stop_pidfile "$f"; done
  local data
  for data in "$dir"/pg/pg*/data; do
    [ -f "$data/postmaster.pid" ] && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$data" -m immediate stop >/dev/null 2>&1 || true
  done
  for f in "$dir"/etcd/e*.pid; do stop_pidfile "$f"; done
  rm -rf "$dir"
}

case "$command" in
  start) start "${3:-27000}" ;;
  status) status ;;
  stop) stop ;;
  *) usage ;;
esac
