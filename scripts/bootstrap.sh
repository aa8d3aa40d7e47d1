#!/usr/bin/env bash
# Install everything the lakehouse needs into .venv (idempotent, quick when done):
# Python packages pinned by requirements.lock, the project itself, the JVM jars (Delta Lake
# and the S3 connector, see scripts/fetch_jars.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
  echo "Java 17+ is required by Spark and was not found." >&2
  echo "Install it: sudo apt-get install -y openjdk-17-jdk-headless maven  (or set JAVA_HOME)" >&2
  exit 1
fi
PY="${PYTHON:-python3}"
stamp=".venv/.installed-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing Python dependencies into .venv (pinned by requirements.lock)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --retries 10 --timeout 60 --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q --retries 10 --timeout 60 -c requirements.lock -e ".[dev]"
  rm -f .venv/.installed-* && touch "$stamp"
fi
if ! bash scripts/fetch_jars.sh --check .jars; then
  bash scripts/fetch_jars.sh .jars
fi
