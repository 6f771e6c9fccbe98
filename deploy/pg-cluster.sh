#!/usr/bin/env bash
# A private PostgreSQL cluster in a directory of its own, listening on
# 127.0.0.1 only. PostgreSQL refuses to run as root, so when run as root the
# cluster belongs to the `postgres` system user.
#
#   pg-cluster.sh init DIR PORT [PASSWORD_FILE]   create (trust auth without a password file)
#   pg-cluster.sh standby DIR PORT PRIMARY_DIR    create a streaming hot standby of PRIMARY_DIR
#   pg-cluster.sh start DIR                       start and wait until it accepts connections
#   pg-cluster.sh stop DIR [fast|immediate]       stop
#   pg-cluster.sh status DIR                      exit 0 if running
#   pg-cluster.sh destroy DIR                     stop and delete
set -euo pipefail

bindir="$(pg_config --bindir 2>/dev/null || true)"
if [ ! -x "$bindir/initdb" ]; then
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
fi
if [ ! -x "$bindir/initdb" ]; then
  echo "pg-cluster: PostgreSQL server binaries not found; run deploy/install-deps.sh" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,12p' "$0" >&2; exit 2; }
data="$dir/data"

case "$cmd" in
  init)
    port="${3:?port}"
    password_file="${4:-}"
    if [ -f "$data/PG_VERSION" ]; then
      echo "pg-cluster: $data already exists"
      exit 0
    fi
    mkdir -p "$dir"
    chmod 755 "$dir"
    mkdir -p "$data" "$dir/run"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$data" "$dir/run"; fi
    chmod 700 "$data"
    auth=(--auth=trust)
    if [ -n "$password_file" ]; then
      # initdb reads the superuser password from a file the owner can read.
      tmp_pw="$dir/run/initdb-password"
      cp "$password_file" "$tmp_pw"
      if [ "$(id -u)" -eq 0 ]; then chown postgres "$tmp_pw"; fi
      chmod 600 "$tmp_pw"
      auth=(--auth=scram-sha-256 --pwfile="$tmp_pw")
    fi
    as_owner "$bindir/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 "${auth[@]}" >/dev/null
    rm -f "$dir/run/initdb-password"
    if [ -z "$password_file" ]; then
      # Trust (throwaway test clusters) except for members of role
      # tnps_scram_probe, which must give their password: the tests prove
      # with them that a login made by tnpsctl works by password.
      hba="$data/pg_hba.conf"
      as_owner sh -c "{ echo 'host all +tnps_scram_probe 127.0.0.1/32 scram-sha-256'; cat '$hba'; } >'$hba.new' && mv '$hba.new' '$hba'"
    fi
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
max_connections = 200
shared_buffers = 256MB
synchronous_commit = on
log_min_messages = warning
CONF
    ;;
  standby)
    # A copy of a running cluster made by this script (pg_basebackup over
    # its socket, where its pg_hba trusts replication), following it by
    # streaming replication and answering reads (hot standby). A replication
    # slot on the primary keeps the WAL the standby has not received yet
    # (a busy primary may otherwise recycle it before the standby starts);
    # `destroy` drops it.
    port="${3:?port}"
    primary="${4:?primary cluster directory}"
    if [ -f "$data/PG_VERSION" ]; then
      echo "pg-cluster: $data already exists"
      exit 0
    fi
    primary_port="$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$primary/data/postgresql.conf" | tail -n 1)"
    mkdir -p "$dir"
    chmod 755 "$dir"
    mkdir -p "$data" "$dir/run"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$data" "$dir/run"; fi
    chmod 700 "$data"
    slot="tnps_standby_$port"
    printf '%s\n%s\n%s\n' "$primary" "$primary_port" "$slot" >"$dir/primary"
    as_owner "$bindir/pg_basebackup" -h "$primary/run" -p "$primary_port" -U postgres \
      -D "$data" --write-recovery-conf --wal-method=stream --checkpoint=fast \
      --create-slot --slot="$slot"
    # The copied configuration is the primary's: later lines win.
    cat >>"$data/postgresql.conf" <<CONF
port = $port
unix_socket_directories = '$dir/run'
hot_standby = on
hot_standby_feedback = on
CONF
    ;;
  start)
    if as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then exit 0; fi
    as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/run/postgresql.log" -w -t 60 start >/dev/null
    ;;
  stop)
    mode="${3:-fast}"
    if as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$data" -m "$mode" -w -t 60 stop >/dev/null
    fi
    ;;
  status)
    as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
    ;;
  destroy)
    "$0" stop "$dir" immediate || true
    if [ -f "$dir/primary" ]; then
      # A standby: its slot would keep the primary's WAL forever.
      { read -r primary; read -r primary_port; read -r slot; } <"$dir/primary"
      as_owner psql -h "$primary/run" -p "$primary_port" -U postgres -d postgres -qAt \
        -c "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots WHERE slot_name = '$slot'" \
        >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
