#!/usr/bin/env bash
# A Spark standalone cluster on loopback (one master, N workers) from the pyspark
# installed in .venv: nothing is downloaded. For trying the lakehouse on a cluster and
# for its integration tests; a real cluster is described in docs/deployment.md.
#
#   scripts/spark_cluster.sh start    start the master and the workers, wait until all
#                                     workers have registered
#   scripts/spark_cluster.sh stop     stop the workers and the master started here
#   scripts/spark_cluster.sh status   print the master URL, its web UI / JSON API and the
#                                     live workers; exit 0 when the master answers
#
# Then: LAKEHOUSE__SPARK__MASTER=spark://127.0.0.1:7077 LAKEHOUSE_ROOT=s3a://... lakehouse run ...
#
# Environment (defaults in brackets):
#   SPARK_MASTER_PORT [7077]  SPARK_MASTER_WEBUI_PORT [8080]
#   SPARK_WORKERS [1]         number of workers
#   SPARK_WORKER_CORES [1]    cores each worker offers
#   SPARK_WORKER_MEMORY [2g]  memory each worker offers to executors
#   SPARK_WORKER_PORT [7078]  first worker's port (worker i: +i)
#   SPARK_WORKER_WEBUI_PORT [8081]  first worker's web UI port (worker i: +i)
#   SPARK_CLUSTER_DIR [.tools/spark-<master port>]  pids, logs and the workers' work
#                             dirs (each application's executors log under work/app-*/)
#   SPARK_DAEMON_MEMORY [512m]  heap of the master and worker daemons themselves
#   SPARK_CLUSTER_TIMEOUT [120]  seconds start waits for the master and the workers
#
# Exit codes: 0 ok, 1 failure (message on stderr), 2 usage.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
HOST=127.0.0.1
MASTER_PORT="${SPARK_MASTER_PORT:-7077}"
MASTER_UI_PORT="${SPARK_MASTER_WEBUI_PORT:-8080}"
WORKERS="${SPARK_WORKERS:-1}"
WORKER_CORES="${SPARK_WORKER_CORES:-1}"
WORKER_MEMORY="${SPARK_WORKER_MEMORY:-2g}"
WORKER_PORT="${SPARK_WORKER_PORT:-7078}"
WORKER_UI_PORT="${SPARK_WORKER_WEBUI_PORT:-8081}"
DIR="${SPARK_CLUSTER_DIR:-$ROOT/.tools/spark-$MASTER_PORT}"
TIMEOUT="${SPARK_CLUSTER_TIMEOUT:-120}"
MASTER_URL="spark://$HOST:$MASTER_PORT"
UI_URL="http://$HOST:$MASTER_UI_PORT"
export SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-512m}"
export SPARK_LOCAL_IP="$HOST"
# the daemons' own settings come from the arguments below, not from the caller's shell
unset SPARK_WORKER_INSTANCES SPARK_MASTER_HOST SPARK_MASTER_IP

die() { echo "spark_cluster.sh: $*" >&2; exit 1; }

spark_home() {
  [ -x "$PY" ] || die "$PY not found; run: make install"
  "$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null \
    || die "pyspark is not installed in $PY; run: make install"
}

# master JSON (empty when it does not answer)
master_json() { curl -fsS --max-time 2 "$UI_URL/json/" 2>/dev/null || true; }

alive_workers() {
  master_json | "$PY" -c 'import json, sys
try:
    print(json.load(sys.stdin).get("aliveworkers", 0))
except ValueError:
    print(0)'
}

# pid in FILE when that process is still the daemon CLASS (pids get reused)
running_pid() {
  local file="$1" class="$2" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] || return 1
  case "$(ps -p "$pid" -o args= 2>/dev/null)" in
    *"$class"*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

launch() {
  local name="$1" class="$2"
  shift 2
  local pid
  if pid="$(running_pid "$DIR/$name.pid" "$class")"; then
    echo "==> $name already running (pid $pid)"
    return 0
  fi
  nohup "$SPARK_HOME/bin/spark-class" "$class" "$@" </dev/null >"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
}

wait_for() {
  local what="$1" test="$2" deadline=$(( $(date +%s) + TIMEOUT ))
  until eval "$test"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 20 "$DIR"/*.log >&2 || true
      cmd_stop >/dev/null 2>&1 || true
      die "$what not ready within ${TIMEOUT}s (logs above, in $DIR)"
    fi
    sleep 0.5
  done
}

port_free() {
  ! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

cmd_start() {
  SPARK_HOME="$(spark_home)"
  export SPARK_HOME
  command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ] || die "Java 17+ is required (apt-get install openjdk-17-jdk-headless)"
  mkdir -p "$DIR"
  if ! running_pid "$DIR/master.pid" deploy.master.Master >/dev/null; then
    port_free "$MASTER_PORT" || die "port $MASTER_PORT on $HOST is taken; stop that or set SPARK_MASTER_PORT"
    port_free "$MASTER_UI_PORT" || die "port $MASTER_UI_PORT on $HOST is taken; stop that or set SPARK_MASTER_WEBUI_PORT"
  fi
  echo "==> starting Spark master $MASTER_URL (web UI $UI_URL) from $SPARK_HOME"
  launch master org.apache.spark.deploy.master.Master \
    --host "$HOST" --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT"
  wait_for "the master on $UI_URL" '[ -n "$(master_json)" ]'
  local i
  for i in $(seq 0 $((WORKERS - 1))); do
    mkdir -p "$DIR/work-$i"
    echo "==> starting worker $i: $WORKER_CORES core(s), $WORKER_MEMORY, port $((WORKER_PORT + i)), web UI $((WORKER_UI_PORT + i))"
    launch "worker-$i" org.apache.spark.deploy.worker.Worker \
      --host "$HOST" --port $((WORKER_PORT + i)) --webui-port $((WORKER_UI_PORT + i)) \
      --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" --work-dir "$DIR/work-$i" "$MASTER_URL"
  done
  wait_for "$WORKERS worker(s) registered with $MASTER_URL" '[ "$(alive_workers)" -ge "$WORKERS" ]'
  cmd_status
}

stop_pid() {
  local name="$1" class="$2" pid
  if ! pid="$(running_pid "$DIR/$name.pid" "$class")"; then
    rm -f "$DIR/$name.pid"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "spark_cluster.sh: $name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/$name.pid"
  echo "==> stopped $name (pid $pid)"
}

cmd_stop() {
  local file name
  # every worker started with this directory, whatever SPARK_WORKERS says now
  for file in "$DIR"/worker-*.pid; do
    [ -e "$file" ] || continue
    name="$(basename "$file" .pid)"
    stop_pid "$name" deploy.worker.Worker
  done
  stop_pid master deploy.master.Master
  echo "==> Spark cluster $MASTER_URL stopped"
}

cmd_status() {
  local json
  json="$(master_json)"
  if [ -z "$json" ]; then
    echo "Spark master $MASTER_URL is not running (web UI $UI_URL does not answer)"
    return 1
  fi
  echo "Spark master: $MASTER_URL"
  echo "web UI:       $UI_URL   (JSON API: $UI_URL/json/)"
  "$PY" - "$json" <<'PY'
import json
import sys

state = json.loads(sys.argv[1])
alive = [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]
running, done = len(state.get("activeapps", [])), len(state.get("completedapps", []))
print(
    f"status:       {state.get('status')}, {len(alive)} live worker(s), "
    f"{state.get('cores', 0)} core(s), {state.get('memory', 0)} MB, "
    f"{running} running / {done} finished app(s)"
)
for w in alive:
    print(
        f"worker:       {w.get('host')}:{w.get('port')}  {w.get('cores')} core(s), "
        f"{w.get('memory')} MB  {w.get('webuiaddress')}"
    )
PY
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start | stop | status" >&2
    exit 2
    ;;
esac
