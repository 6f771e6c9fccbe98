#!/usr/bin/env bash
# Backs up a tnps database with what pg_dump alone leaves out: the roles it
# needs (tnps_owner, tnps_app, tnps_reporting and every BI login
# tnps_bi_*), with their attributes, settings, memberships and password
# verifiers, and the database's own grants. docs/operations.md#backup-and-restore.
#
#   deploy/backup.sh DATABASE DIR
#
# Connects as a PostgreSQL superuser through the usual libpq variables
# (PGHOST, PGPORT, PGUSER, PGPASSFILE...). Writes DIR/roles.sql and
# DIR/database.dump (pg_dump's custom format), readable by the caller only:
# they hold password verifiers and every response.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: deploy/backup.sh DATABASE DIR" >&2
  exit 2
fi
db="$1"
out="$2"
umask 077
mkdir -p "$out"
# Only this database's roles: tnps's three and the BI logins it maps to its
# tenants (others in the cluster belong to other databases). CREATE ROLE,
# ALTER ROLE (attributes, password, settings) and GRANT lines naming them.
logins="$(psql --dbname="$db" -Atc "SELECT string_agg(role_name, '|') FROM reporting_roles")"
roles="(tnps_owner|tnps_app|tnps_reporting${logins:+|$logins})"
pg_dumpall --roles-only --database=postgres |
  grep -E "^(CREATE ROLE|ALTER ROLE) $roles[ ;]|^GRANT $roles TO $roles[ ;]" >"$out/roles.sql"
# --create: the database itself and its grants (CONNECT for tnps_app and
# the BI logins only) come back too.
pg_dump --format=custom --create --file="$out/database.dump" --dbname="$db"
echo "backup of $db in $out: $(grep -c '^CREATE ROLE' "$out/roles.sql") roles," \
  "$(du -h "$out/database.dump" | cut -f1) of data"
