#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests of the PostgreSQL store: they need a real server,
# and the project starts its own rather than depend on one the machine may or may not have.
#
#   eval "$(scripts/test-postgres.sh start DIR)"   # prints: export BRIDGE_TEST_DATABASE_URL=...
#   scripts/test-postgres.sh stop DIR
#
# Only the export line goes to stdout (it is meant for eval); everything else goes to stderr.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

die() {
  echo "test-postgres: $*" >&2
  exit 1
}

# Debian's server binaries live outside PATH, one directory a major version: take the highest.
find_bin() {
  local best
  best=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$best" ] || [ ! -x "$best/pg_ctl" ] || [ ! -x "$best/initdb" ]; then
    die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install the apt package 'postgresql'"
  fi
  echo "$best"
}

# PostgreSQL refuses to run as root (CI runs as root): there the cluster belongs to the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# A free loopback port. Another process can take it before the server binds it, so start retries.
pick_port() {
  local attempt=$1
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    echo $((55432 + attempt))
  fi
}

start() {
  local dir=$1 bin port attempt logged recent
  bin=$(find_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -e "$dir/data" ]; then
    die "$dir/data already exists: give start a fresh directory"
  fi
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user: install the apt package 'postgresql'"
    chown -R postgres: "$dir"
  fi
  # The postgres user may not be able to enter the caller's working directory (/root).
  cd "$dir"

  echo "test-postgres: initdb with $bin in $dir/data" >&2
  as_pg "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres -E UTF8 --locale=C >&2

  for attempt in $(seq 0 19); do
    port=$(pick_port "$attempt")
    echo "test-postgres: starting on 127.0.0.1:$port" >&2
    logged=$(stat -c %s "$dir/log" 2>/dev/null || echo 0)
    # fsync stays on: the store's durability is what is tested.
    if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=200 -c fsync=on" \
      start >&2; then
      break
    fi
    # Lost the port to someone else between picking and binding: try another. Anything else is fatal.
    recent=$(tail -c +$((logged + 1)) "$dir/log" 2>/dev/null || true)
    if ! grep -q -e 'could not bind' -e 'Address already in use' <<<"$recent"; then
      echo "$recent" >&2
      die "the server did not start (log: $dir/log)"
    fi
    port=""
  done
  [ -n "$port" ] || die "no free port after 20 attempts (log: $dir/log)"

  echo "$port" >"$dir/port"
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres bridge_test >&2
  echo "export BRIDGE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/bridge_test?sslmode=disable"
}

stop() {
  local dir=$1 bin
  # Nothing was started (or it is already stopped): nothing to do.
  [ -f "$dir/data/postmaster.pid" ] || return 0
  bin=$(find_bin)
  dir=$(cd "$dir" && pwd)
  cd "$dir"
  as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 0
  as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2
}

[ $# -eq 2 ] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
