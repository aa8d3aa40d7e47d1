# Reconciliation lakehouse: the commands of the README, plus helpers.
SHELL := /bin/bash
PY := .venv/bin/python
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test fast lint typecheck unit integration bench bench-curve bench-month bench-10m bench-cluster \
	bench-tables docs install servers clean

install:
	@bash scripts/bootstrap.sh

demo: install
	@$(PY) -m lakehouse.cli demo

lint: install
	@.venv/bin/ruff check lakehouse flows bench tests
	@.venv/bin/ruff format --check lakehouse flows bench tests

typecheck: install
	@$(PY) -m mypy

# Real servers for the integration tests: MinIO (built once from the Go module proxy into
# .tools/bin) and Debian's Chromium. The Prefect server comes with .venv. The test
# fixtures start them on loopback and stop them afterwards.
servers:
	@bash scripts/minio.sh install
	@bash scripts/chromium.sh

# The whole suite, integration tests included.
test: install servers lint typecheck
	@$(PY) -m pytest

# The fast lane: no JVM starts (tests/conftest.py refuses it) and no server.
fast: install
	@$(PY) -m pytest -m "not spark and not integration"

unit: install
	@$(PY) -m pytest -m "not integration"

integration: install servers
	@$(PY) -m pytest -m integration

bench: install
	@$(PY) -m bench.run

# docs/performance.md: how a day's cost grows with volume, over a month, and at 10M a day.
# Each writes bench/results/<mode>.json; `make bench-tables` puts them into the docs.
bench-curve: install
	@BENCH_MODE=curve $(PY) -m bench.run

bench-month: install
	@BENCH_MODE=month $(PY) -m bench.run

bench-10m: install
	@BENCH_MODE=10m $(PY) -m bench.run

# The cost model against a standalone cluster of 2 one-core workers, S3 on MinIO, here.
bench-cluster: install
	@SPARK_WORKERS=2 SPARK_WORKER_CORES=1 SPARK_WORKER_MEMORY=4g \
	LAKEHOUSE__SPARK__EXECUTOR_MEMORY=3g LAKEHOUSE__SPARK__DRIVER_MEMORY=8g \
	$(PY) -m bench.deployments --only cluster --volume 300000 --days 3 \
	--dir data/bench_cluster --out bench/results/cluster.json

bench-tables: install
	@$(PY) -m bench.tables

# docs/tables.md from the tables' TableSpecs (a fast test checks it is current).
docs: install
	@$(PY) -m lakehouse.cli docs tables

clean:
	rm -rf data/lakehouse data/landing data/truth data/prefect data/bench .pytest_cache
