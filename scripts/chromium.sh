#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is installed (for the report's browser test).
# Idempotent: silent and instant when /usr/bin/chromium already exists.
# Exit codes: 0 installed (or already there), 2 apt-get is not available, 1 install failed.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: $CHROMIUM is missing and apt-get is not available;" \
       "install Chromium with your package manager" >&2
  exit 2
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "chromium.sh: need root (or sudo) to apt-get install chromium" >&2
    exit 2
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "==> apt-get update"
$SUDO apt-get -o Acquire::Retries=5 update -q
echo "==> apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
$SUDO apt-get -o Acquire::Retries=5 install -y -q --no-install-recommends chromium fonts-dejavu-core

if [ ! -x "$CHROMIUM" ]; then
  echo "chromium.sh: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "==> $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed at $CHROMIUM"
