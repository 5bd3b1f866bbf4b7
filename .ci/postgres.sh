#!/usr/bin/env bash
# A throwaway PostgreSQL for the decision-log tests: a temporary data folder, a free loopback port,
# run as a non-root user (PostgreSQL refuses root; the image has `postgres`), trust auth on loopback only.
#
#   eval "$(.ci/postgres.sh start)"   # exports ROUTER_TEST_POSTGRES (the URL) and ROUTER_TEST_PGDATA
#   .ci/postgres.sh stop              # stops the server in $ROUTER_TEST_PGDATA and removes the folder
#   .ci/postgres.sh run CMD...        # start, run CMD with ROUTER_TEST_POSTGRES set, stop even on failure
#   .ci/postgres.sh                   # check: start, ask the server its version, stop
#
# When no server can be started, `start` says why on stderr, exports nothing and exits 0: the tests then
# skip with that reason, loudly. Binaries: $PG_BIN, else the newest /usr/lib/postgresql/*/bin, else
# Debian's `postgresql` package when apt-get can install it.
set -euo pipefail

warn() { echo "postgres.sh: $*" >&2; }

find_bin() {
  if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then echo "$PG_BIN"; return 0; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  return 1
}

install_bin() {
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  warn "no PostgreSQL binaries; installing Debian's postgresql package"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql; } >/dev/null 2>&1
}

# Run a command as the server's user: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
  elif runuser=$(PATH="$PATH:/usr/sbin:/sbin" command -v runuser); then
    "$runuser" -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local bin dir port
  if ! bin=$(find_bin); then
    install_bin || true
    bin=$(find_bin) || { warn "no PostgreSQL binaries (initdb, pg_ctl) and none could be installed"; return 0; }
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    warn "running as root and there is no 'postgres' user to run the server as"
    return 0
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/router-pg.XXXXXX")
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  if ! as_owner "$bin/initdb" -D "$dir/data" -U router -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
    warn "initdb failed: $(tail -n 3 "$dir/initdb.log" | tr '\n' ' ')"
    rm -rf "$dir"
    return 0
  fi
  port=$(free_port)
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null 2>&1; then
    warn "the server did not start: $(tail -n 3 "$dir/server.log" 2>/dev/null | tr '\n' ' ')"
    rm -rf "$dir"
    return 0
  fi
  if ! as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U router router_test >/dev/null 2>&1; then
    warn "createdb failed; stopping the server"
    stop "$dir"
    return 0
  fi
  echo "export ROUTER_TEST_POSTGRES=postgresql://router@127.0.0.1:$port/router_test"
  echo "export ROUTER_TEST_PGDATA=$dir"
  warn "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir"
}

stop() {
  local dir=${1:-${ROUTER_TEST_PGDATA:-}} bin
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ] && bin=$(find_bin); then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || warn "pg_ctl stop failed in $dir"
  fi
  rm -rf "$dir"
}

run() {
  eval "$(start)"
  trap 'stop "${ROUTER_TEST_PGDATA:-}"' EXIT
  "$@"
}

check() {
  eval "$(start)"
  if [ -z "${ROUTER_TEST_POSTGRES:-}" ]; then
    warn "no server"
    return 1
  fi
  trap 'stop "$ROUTER_TEST_PGDATA"' EXIT
  as_owner "$(find_bin)/psql" "$ROUTER_TEST_POSTGRES" -tAc "SELECT version()"
}

case "${1:-check}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  run) shift; run "$@" ;;
  check) check ;;
  *) echo "usage: $0 [start | stop [DIR] | run CMD... | check]" >&2; exit 2 ;;
esac
