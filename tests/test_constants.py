"""lakehouse.constants: one definition, importable without pyspark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lakehouse import constants

REPO_ROOT = Path(__file__).resolve().parents[1]

JVM_FREE_MODULES = (
    "lakehouse.constants",
    "lakehouse.report",
    "lakehouse.score",
    "lakehouse.decisions",
    "bench.duckdb_baseline",
)


def test_the_jvm_free_readers_get_the_constants_without_importing_pyspark() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {JVM_FREE_MODULES!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_states_partition_into_open_and_closed() -> None:
    assert set(constants.BREAK_STATES) < set(constants.OPEN_STATES) < set(constants.STATES)
    assert len(set(constants.STATES)) == len(constants.STATES)
    assert constants.MONEY_SQL == "DECIMAL(18,2)"
