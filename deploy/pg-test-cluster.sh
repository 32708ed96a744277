#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the [postgres] tests
# (docs/design/0101-postgres-test-cluster.md):
#   deploy/pg-test-cluster.sh start DIR   # prints the libpq connection string
#   deploy/pg-test-cluster.sh stop DIR    # stops it and removes DIR
# initdb and pg_ctl into DIR (created; must not exist or be empty), the Unix
# socket inside DIR, no TCP listener at all (listen_addresses=''), so the
# port only names the socket file and collides with nothing. Durability is
# off (fsync, full_page_writes, synchronous_commit): the data is thrown away.
# initdb refuses to run as root: as root the cluster runs as the user
# "postgres" (Debian's package creates it) or else "nobody", who owns DIR.
# Authentication is "trust" on that socket, which only DIR's owner and root
# can reach (DIR is mode 0700).
set -euo pipefail

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
port=${MOTCUA_PG_TEST_PORT:-54329}
user=motcua_test

bindir=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/pg_ctl" ] && bindir=$d
done
if [ -z "$bindir" ] && command -v pg_ctl >/dev/null; then bindir=$(dirname "$(command -v pg_ctl)"); fi
[ -n "$bindir" ] || {
  echo "pg-test-cluster: no pg_ctl found (apt-get install postgresql)" >&2
  exit 1
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
else
  owner=$(id -un)
fi

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || {
      echo "pg-test-cluster: $dir is not empty" >&2
      exit 1
    }
    dir=$(cd "$dir" && pwd)
    chmod 0700 "$dir"
    [ "$(id -u)" -ne 0 ] || chown "$owner" "$dir"
    as_owner test -w "$dir" || {
      echo "pg-test-cluster: user $owner cannot reach $dir (is a parent folder private to root?)" >&2
      exit 1
    }
    as_owner "$bindir/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
      --no-instructions >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses='' -k $dir -p $port -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
      start >/dev/null || {
      cat "$dir/server.log" >&2
      exit 1
    }
    echo "host=$dir port=$port dbname=postgres user=$user"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) usage ;;
esac
