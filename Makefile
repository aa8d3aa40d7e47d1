# Reconciliation lakehouse: the two commands of the README, plus helpers.
SHELL := /bin/bash
PY := .venv/bin/python
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_LOGGING_LEVEL ?= WARNING

.PHONY: demo test lint typecheck unit integration bench install clean

install:
	@bash scripts/bootstrap.sh

demo: install
	@$(PY) -m lakehouse.cli demo

lint: install
	@.venv/bin/ruff check lakehouse flows tests
	@.venv/bin/ruff format --check lakehouse flows tests

typecheck: install
	@$(PY) -m mypy

# The whole suite, integration tests included: their fixtures install and start the
# real servers they need (Prefect server, MinIO, Chromium) and stop them afterwards.
test: install lint typecheck
	@$(PY) -m pytest

unit: install
	@$(PY) -m pytest -m "not integration"

integration: install
	@$(PY) -m pytest -m integration

bench: install
	@$(PY) -m bench.run

clean:
	rm -rf data/lakehouse data/landing data/truth data/prefect .pytest_cache
