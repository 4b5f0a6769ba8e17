#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a folder, a free loopback port,
# trust authentication on loopback only, sockets inside the folder.
#   tools/postgres-cluster.sh start DIR   -> prints the port on stdout; logs in DIR/log (a stopped
#                                            cluster starts again on its port, with its data)
#   tools/postgres-cluster.sh stop DIR    -> fast shutdown (safe to call twice)
#   tools/postgres-cluster.sh bindir      -> where the PostgreSQL programs are
# As root it runs PostgreSQL as the postgres user (initdb refuses root) and installs the Debian
# packages first when they are missing; DIR's parent folders must then be traversable by postgres.
# As another user, PostgreSQL must already be installed.
set -euo pipefail

bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
  return 1
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local p
  for p in $(seq 55432 55532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}

case "${1:-}" in
  start)
    dir="${2:?folder}"
    if ! bin="$(bindir)"; then
      if [ "$(id -u)" -eq 0 ]; then
        echo "PostgreSQL is missing: installing it from Debian packages" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin="$(bindir)"
      else
        echo "PostgreSQL is not installed and this user cannot install it (sudo apt-get install postgresql)" >&2
        exit 1
      fi
    fi
    if [ -f "$dir/pgdata/PG_VERSION" ] && [ -f "$dir/port" ]; then
      # Started before and stopped: start it again on the same port, with its data.
      port="$(cat "$dir/port")"
    else
      mkdir -p "$dir"
      if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        runuser -u postgres -- test -w "$dir" || { echo "the postgres user cannot reach $dir (make its parents traversable)" >&2; exit 1; }
      fi
      as_owner "$bin/initdb" -D "$dir/pgdata" --auth=trust --username=postgres --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || as_owner "$bin/initdb" -D "$dir/pgdata" --auth=trust --username=postgres --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      port="$(free_port)"
    fi
    # Loopback only; fsync off because the cluster is thrown away (tests, not durability).
    as_owner "$bin/pg_ctl" -D "$dir/pgdata" -l "$dir/log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$dir/log" >&2; exit 1; }
    [ -f "$dir/port" ] || echo "$port" >"$dir/port"
    echo "$port"
    ;;
  stop)
    dir="${2:?folder}"
    if [ -f "$dir/pgdata/postmaster.pid" ] && bin="$(bindir)"; then
      as_owner "$bin/pg_ctl" -D "$dir/pgdata" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
    ;;
  bindir)
    bindir ;;
  *)
    echo "usage: $0 start|stop DIR | bindir" >&2; exit 2 ;;
esac
