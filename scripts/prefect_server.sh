#!/usr/bin/env bash
# A local Prefect server for the lakehouse, its concurrency limits and deployments.
#
#   bash scripts/prefect_server.sh start  [DIR]  server on 127.0.0.1:${PREFECT_PORT:-4200},
#                                               PREFECT_HOME=DIR (default data/prefect),
#                                               waits for /api/health, writes DIR/server.pid
#   bash scripts/prefect_server.sh stop   [DIR]  stops that server and its children
#   bash scripts/prefect_server.sh status [DIR]  is it answering?
#   bash scripts/prefect_server.sh limits        writer:bronze|silver|gold tag limits = 1
#   bash scripts/prefect_server.sh deploy        work pool lakehouse-process + prefect.yaml
#   bash scripts/prefect_server.sh worker        process worker for lakehouse-process (foreground)
#
# Needs `bash scripts/bootstrap.sh` first (uses .venv/bin/prefect). Telemetry is off.
# limits/deploy/worker talk to PREFECT_API_URL (default http://127.0.0.1:$PREFECT_PORT/api).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PREFECT="${PREFECT_BIN:-$REPO/.venv/bin/prefect}"
PORT="${PREFECT_PORT:-4200}"
HOST=127.0.0.1
POOL=lakehouse-process
WRITER_TAGS=(writer:bronze writer:silver writer:gold)
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
export PREFECT_API_URL="${PREFECT_API_URL:-http://$HOST:$PORT/api}"

die() { echo "prefect_server.sh: $*" >&2; exit 1; }
need_prefect() {
  [ -x "$PREFECT" ] || die "$PREFECT not found; run 'bash scripts/bootstrap.sh' first"
}
home_dir() {
  local dir="${1:-${PREFECT_HOME:-$REPO/data/prefect}}"
  mkdir -p "$dir"
  (cd "$dir" && pwd)
}
healthy() {
  "$REPO/.venv/bin/python" - "$1" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/health", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

cmd_start() {
  need_prefect
  local home pidfile log url pid
  home="$(home_dir "${1:-}")"
  pidfile="$home/server.pid"
  log="$home/server.log"
  url="http://$HOST:$PORT/api"
  if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
    if healthy "$url"; then echo "already running (pid $(cat "$pidfile")) at $url"; return 0; fi
    die "pid $(cat "$pidfile") from $pidfile is alive but $url does not answer; run stop first"
  fi
  if healthy "$url"; then
    die "something else already answers on $url; choose another PREFECT_PORT"
  fi
  # Own session (setsid) so that `stop` can end the server and all its children at once.
  PREFECT_HOME="$home" PREFECT_API_URL="$url" PREFECT_UI_ENABLED="${PREFECT_UI_ENABLED:-true}" \
    setsid "$PREFECT" server start --host "$HOST" --port "$PORT" >"$log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
  for _ in $(seq 1 "${PREFECT_START_TIMEOUT:-120}"); do
    if healthy "$url"; then
      echo "Prefect server pid $pid at $url (PREFECT_HOME=$home, log $log)"
      return 0
    fi
    alive "$pid" || { tail -n 30 "$log" >&2; rm -f "$pidfile"; die "server exited, see $log"; }
    sleep 1
  done
  tail -n 30 "$log" >&2
  cmd_stop "$home"
  die "server did not answer $url/health in time, see $log"
}

cmd_stop() {
  local home pidfile pid
  home="$(home_dir "${1:-}")"
  pidfile="$home/server.pid"
  [ -f "$pidfile" ] || { echo "no pid file $pidfile; nothing to stop"; return 0; }
  pid="$(cat "$pidfile")"
  if alive "$pid"; then
    # The server leads its own process group (setsid): signal the group, then wait.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do alive "$pid" || break; sleep 0.5; done
    if alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" || true; fi
    # Children that outlived the leader are still in its group.
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "stopped Prefect server pid $pid"
  else
    echo "Prefect server pid $pid was not running"
  fi
  rm -f "$pidfile"
}

cmd_status() {
  local home pidfile
  home="$(home_dir "${1:-}")"
  pidfile="$home/server.pid"
  if healthy "http://$HOST:$PORT/api"; then
    echo "up at http://$HOST:$PORT/api (pid file: $( [ -f "$pidfile" ] && cat "$pidfile" || echo none))"
  else
    echo "down (nothing answers http://$HOST:$PORT/api)"; return 1
  fi
}

cmd_limits() {
  need_prefect
  local tag
  for tag in "${WRITER_TAGS[@]}"; do
    "$PREFECT" concurrency-limit create "$tag" 1 >/dev/null
    echo "concurrency limit $tag = 1"
  done
}

cmd_deploy() {
  need_prefect
  cd "$REPO"
  if ! "$PREFECT" work-pool inspect "$POOL" >/dev/null 2>&1; then
    "$PREFECT" work-pool create "$POOL" --type process
  fi
  cmd_limits
  "$PREFECT" --no-prompt deploy --all
}

cmd_worker() {
  need_prefect
  cd "$REPO"
  exec "$PREFECT" worker start --pool "$POOL" --type process --limit "${WORKER_LIMIT:-1}"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  limits) cmd_limits ;;
  deploy) cmd_deploy ;;
  worker) cmd_worker ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
