#!/usr/bin/env bash
# Distributed mode without Docker: PostgreSQL (deploy/postgres.sh), Kafka (deploy/kafka.sh), the
# topics, and the four services and the console as separate `pnm serve <service>` processes (run
# `uv sync` first).
#
#   deploy/distributed.sh start     start everything; wait until every service is ready
#   deploy/distributed.sh stop      stop the services, Kafka, PostgreSQL
#   deploy/distributed.sh status    processes and readiness; exit 1 unless all are up
#
# Environment: PG_PORT, PG_DATA_DIR (see postgres.sh); KAFKA_PORT, KAFKA_CONTROLLER_PORT,
# KAFKA_DATA_DIR (see kafka.sh); PNM_<SERVICE>_PORT, e.g. PNM_MATCHER_PORT (8001..8005);
# PNM_LOG_LEVEL; RUN_DIR (var/distributed: logs, pid files); READY_TIMEOUT (120 s);
# PNM (the pnm command; default .venv/bin/pnm of this repository).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
pnm=${PNM:-$repo/.venv/bin/pnm}
run=${RUN_DIR:-$repo/var/distributed}
ready_timeout=${READY_TIMEOUT:-120}
services=(prenotification manifest-ingest matcher holds console)

port_of() {
  local var="PNM_$(echo "$1" | tr 'a-z-' 'A-Z_')_PORT"
  case "$1" in
    prenotification) echo "${!var:-8001}" ;;
    manifest-ingest) echo "${!var:-8002}" ;;
    matcher) echo "${!var:-8003}" ;;
    holds) echo "${!var:-8004}" ;;
    console) echo "${!var:-8005}" ;;
  esac
}

pid_of() { cat "$run/$1.pid" 2>/dev/null; }
alive() { local pid; pid=$(pid_of "$1") && [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; }

# The service listens on 127.0.0.1 unless PNM_<SERVICE>_HOST says otherwise.
ready() {
  local url="http://127.0.0.1:$(port_of "$1")/health/ready"
  if command -v curl >/dev/null; then
    curl -fsS --noproxy '*' -m 3 -o /dev/null "$url" 2>/dev/null
  else
    "$(dirname "$pnm")/python" -c "import sys, urllib.request as u
try: u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=3)
except Exception: sys.exit(1)" "$url"
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_service() {
  local name=$1 port
  port=$(port_of "$name")
  if alive "$name"; then echo "$name already running (pid $(pid_of "$name"))"; return; fi
  # Another process on the port would answer the readiness probe for this one.
  if port_busy "$port"; then
    echo "$name: port $port is already in use (set PNM_$(echo "$name" | tr 'a-z-' 'A-Z_')_PORT)" >&2
    return 1
  fi
  (cd "$repo" && exec nohup "$pnm" serve "$name" --port "$port" >>"$run/$name.log" 2>&1) &
  echo $! >"$run/$name.pid"
  echo "$name starting on port $port (pid $!, log $run/$name.log)"
}

wait_ready() {
  local name=$1 deadline=$((SECONDS + ready_timeout))
  until ready "$name" && alive "$name"; do
    if ! alive "$name"; then
      echo "$name exited; last lines of $run/$name.log:" >&2
      tail -n 30 "$run/$name.log" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "$name not ready after ${ready_timeout}s; see $run/$name.log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "$name ready on port $(port_of "$name")"
}

stop_service() {
  local name=$1 pid
  if ! alive "$name"; then rm -f "$run/$name.pid"; return; fi
  pid=$(pid_of "$name")
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$run/$name.pid"
  echo "$name stopped"
}

start() {
  if [[ ! -x "$pnm" ]]; then
    echo "$pnm not found: run \`uv sync\` in $repo first (or set PNM)" >&2
    exit 1
  fi
  mkdir -p "$run"
  local db_url
  db_url=$("$here/postgres.sh" start | tail -n 1)
  echo "postgres at $db_url"
  "$here/kafka.sh" start
  "$here/kafka.sh" create-topics
  export PNM_DATABASE_URL="$db_url"
  export PNM_KAFKA_BOOTSTRAP="127.0.0.1:${KAFKA_PORT:-9092}"
  # Bearer tokens: PNM_AUTH_SECRET if set, else a development secret kept in the run directory
  # (`PNM_AUTH_SECRET=$(cat var/distributed/auth-secret) pnm token --role ...` mints tokens).
  if [[ -z "${PNM_AUTH_SECRET:-}" ]]; then
    [[ -s "$run/auth-secret" ]] || (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > "$run/auth-secret")
    PNM_AUTH_SECRET=$(cat "$run/auth-secret")
  fi
  export PNM_AUTH_SECRET
  # The console calls each service's API on its own port (docs/console-operations.md).
  PNM_CONSOLE_API_URLS=$(printf '{"prenotification": "http://127.0.0.1:%s", "manifest-ingest": "http://127.0.0.1:%s", "matcher": "http://127.0.0.1:%s", "holds": "http://127.0.0.1:%s"}' \
    "$(port_of prenotification)" "$(port_of manifest-ingest)" "$(port_of matcher)" "$(port_of holds)")
  export PNM_CONSOLE_API_URLS
  local failed=0 started=()
  for name in "${services[@]}"; do
    if start_service "$name"; then started+=("$name"); else failed=1; fi
  done
  for name in "${started[@]}"; do wait_ready "$name" || failed=1; done
  if ((failed)); then
    echo "some services did not become ready; \`$0 stop\` stops everything" >&2
    exit 1
  fi
  echo "all services ready (database $db_url, kafka $PNM_KAFKA_BOOTSTRAP)"
}

stop() {
  local name i
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do stop_service "${services[i]}"; done
  "$here/kafka.sh" stop
  echo "kafka stopped"
  "$here/postgres.sh" stop
  echo "postgres stopped"
}

status() {
  local ok=0 name line
  for name in "${services[@]}"; do
    if ! alive "$name"; then
      echo "$name: stopped"; ok=1
    elif ready "$name"; then
      echo "$name: ready (pid $(pid_of "$name"), port $(port_of "$name"))"
    else
      echo "$name: running, not ready (pid $(pid_of "$name"), port $(port_of "$name"))"; ok=1
    fi
  done
  if line=$("$here/kafka.sh" status); then echo "kafka: $line"; else echo "kafka: $line"; ok=1; fi
  if line=$("$here/postgres.sh" status); then echo "postgres: $line"; else echo "postgres: $line"; ok=1; fi
  return "$ok"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
