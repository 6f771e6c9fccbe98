#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh into a cluster where the
# database does not exist (a new cluster, or after dropping it):
# roles first, then the database under its original name with its grants.
# docs/operations.md#backup-and-restore.
#
#   deploy/restore.sh DIR
#
# Connects as a PostgreSQL superuser through the usual libpq variables.
# Roles that exist already are kept and given the backup's attributes,
# password and memberships.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: deploy/restore.sh DIR" >&2
  exit 2
fi
dir="$1"
# A role that exists makes its CREATE ROLE fail; the ALTER ROLE lines that
# follow still apply. Anything else that fails is reported below.
errors="$(PGOPTIONS='-c client_min_messages=warning' psql --dbname=postgres -q \
  -v ON_ERROR_STOP=0 -f "$dir/roles.sql" 2>&1 | grep -v 'already exists' || true)"
if [ -n "$errors" ]; then
  echo "restore: roles: $errors" >&2
  exit 1
fi
pg_restore --create --exit-on-error --dbname=postgres "$dir/database.dump"
echo "restored $(pg_restore --list "$dir/database.dump" | sed -n 's/^; *dbname: //p') from $dir"
