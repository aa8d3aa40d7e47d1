#!/usr/bin/env bash
# A local MinIO (real S3-compatible server) on loopback, for the S3 landing zone and its
# integration tests. Everything lives under .tools/ (git-ignored): binary, Go caches, pid/log.
#
#   scripts/minio.sh install            build .tools/bin/minio from source via the Go module
#                                       proxy (go install); skipped when the binary exists
#   scripts/minio.sh start [DATA_DIR]   serve DATA_DIR (default data/minio) on
#                                       127.0.0.1:$MINIO_PORT and wait until it is live
#   scripts/minio.sh stop               stop the server started on $MINIO_PORT
#   scripts/minio.sh status             exit 0 when the server on $MINIO_PORT is live
#
# Environment:
#   MINIO_PORT           API port on 127.0.0.1 (default 9900)
#   MINIO_CONSOLE_PORT   web console port on 127.0.0.1 (default MINIO_PORT+1;
#                        set MINIO_BROWSER=off to not start the console at all)
#   MINIO_ROOT_USER      access key  (default minioadmin)
#   MINIO_ROOT_PASSWORD  secret key  (default minioadmin-secret)
#   MINIO_VERSION        module version to build (default: the pinned one below; MinIO
#                        publishes no Go-module tags, only pseudo-versions of master)
#   MINIO_START_TIMEOUT  seconds to wait for /minio/health/live (default 60)
#   MINIO_INSTALL_ATTEMPTS  tries of the go install before giving up (default 5; the
#                        module proxy occasionally resets a connection)
#
# Exit codes: 0 ok, 1 failure (message on stderr), 2 usage / Go missing.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin/minio"
RUN_DIR="$TOOLS/run"
# Last commit of github.com/minio/minio on the module proxy (2026-02-12, go 1.24 module,
# builds with Go 1.24+ including 1.26). Pinned so every machine builds the same server.
MINIO_VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
PORT="${MINIO_PORT:-9900}"
CONSOLE_PORT="${MINIO_CONSOLE_PORT:-$((PORT + 1))}"
PID_FILE="$RUN_DIR/minio-$PORT.pid"
LOG_FILE="$RUN_DIR/minio-$PORT.log"
HEALTH_URL="http://127.0.0.1:$PORT/minio/health/live"

die() { echo "minio.sh: $*" >&2; exit 1; }

live() { curl -fsS -o /dev/null --max-time 2 "$HEALTH_URL" 2>/dev/null; }

# The pid in PID_FILE when that process is still a running minio, else nothing.
running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [ -n "$pid" ] || return 1
  # the pid may have been reused by another program since: check it is our server
  case "$(ps -p "$pid" -o args= 2>/dev/null)" in
    *"minio server"*) ;;
    *) return 1 ;;
  esac
  echo "$pid"
}

cmd_install() {
  if [ -x "$BIN" ]; then
    echo "==> MinIO already installed: $BIN"
    return 0
  fi
  command -v go >/dev/null 2>&1 || {
    echo "minio.sh: Go is needed to build MinIO (go install); install Go 1.24+" >&2
    exit 2
  }
  mkdir -p "$TOOLS/bin"
  echo "==> building MinIO $MINIO_VERSION with $(go version | cut -d' ' -f3) into $BIN"
  echo "    (downloads ~240 modules, ~1.2 GB, from the Go module proxy and compiles them:"
  echo "    about 7 minutes on 2 busy cores; the caches under .tools/ make re-builds fast)"
  local start elapsed
  start=$(date +%s)
  # -modcacherw keeps .tools/go deletable (rm -rf); GOTOOLCHAIN=local: never fetch a toolchain.
  # The proxy sometimes resets a download mid-way; modules already fetched stay in the
  # module cache, so a retry only fetches what is still missing.
  local attempt attempts="${MINIO_INSTALL_ATTEMPTS:-5}"
  for attempt in $(seq "$attempts"); do
    if GOBIN="$TOOLS/bin" \
      GOPATH="$TOOLS/go" \
      GOCACHE="$TOOLS/go-build" \
      GOFLAGS="-mod=mod -modcacherw" \
      GOTOOLCHAIN=local \
      CGO_ENABLED=0 \
      go install -trimpath -ldflags "-s -w" "github.com/minio/minio@$MINIO_VERSION"; then
      break
    fi
    [ "$attempt" -lt "$attempts" ] \
      || die "go install github.com/minio/minio@$MINIO_VERSION failed $attempts times (see above)"
    echo "minio.sh: go install failed (attempt $attempt of $attempts); retrying in $((attempt * 15))s" >&2
    sleep $((attempt * 15))
  done
  elapsed=$(( $(date +%s) - start ))
  [ -x "$BIN" ] || die "go install finished but $BIN is missing"
  echo "==> MinIO built in $((elapsed / 60))m$((elapsed % 60))s: $BIN"
}

cmd_start() {
  local data="${1:-$ROOT/data/minio}" pid
  [ -x "$BIN" ] || die "$BIN is missing; run: scripts/minio.sh install"
  if pid="$(running_pid)" && live; then
    echo "==> MinIO already running on 127.0.0.1:$PORT (pid $pid)"
    return 0
  fi
  if live; then
    die "something else answers on 127.0.0.1:$PORT; stop it or set MINIO_PORT"
  fi
  mkdir -p "$data" "$RUN_DIR"
  export MINIO_ROOT_USER="${MINIO_ROOT_USER:-minioadmin}"
  export MINIO_ROOT_PASSWORD="${MINIO_ROOT_PASSWORD:-minioadmin-secret}"
  echo "==> starting MinIO on http://127.0.0.1:$PORT, data in $data (log: $LOG_FILE)"
  nohup "$BIN" server --quiet --address "127.0.0.1:$PORT" \
    --console-address "127.0.0.1:$CONSOLE_PORT" "$data" \
    </dev/null >"$LOG_FILE" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local deadline=$(( $(date +%s) + ${MINIO_START_TIMEOUT:-60} ))
  until live; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "MinIO exited during start-up (log above: $LOG_FILE)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      kill "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "MinIO did not answer $HEALTH_URL within ${MINIO_START_TIMEOUT:-60}s"
    fi
    sleep 0.2
  done
  echo "==> MinIO is live (pid $pid); user $MINIO_ROOT_USER; endpoint http://127.0.0.1:$PORT"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    echo "==> MinIO is not running on port $PORT"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "minio.sh: pid $pid ignored SIGTERM for 10s; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE" "$LOG_FILE"
  echo "==> MinIO stopped (pid $pid)"
}

cmd_status() {
  if pid="$(running_pid)" && live; then
    echo "MinIO is live on 127.0.0.1:$PORT (pid $pid)"
  else
    echo "MinIO is not running on 127.0.0.1:$PORT"
    return 1
  fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 install | start [DATA_DIR] | stop | status" >&2
    exit 2
    ;;
esac
