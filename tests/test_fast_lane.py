"""The fast lane: tests that need Spark are marked ``spark`` by the fixture they use,
and a lane without them cannot start the JVM (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

INNER_CONFTEST = """
from tests.conftest import pytest_collection_finish, pytest_collection_modifyitems  # noqa: F401
import pytest

@pytest.fixture(scope="session")
def spark():
    raise AssertionError("the spark fixture ran in the fast lane")

@pytest.fixture
def lakehouse(spark):
    return spark
"""

INNER_TESTS = """
def test_uses_spark(spark):
    pass

def test_uses_spark_through_a_fixture(lakehouse):
    pass

def test_needs_no_spark():
    pass

def test_starts_a_jvm_unmarked():
    from pyspark.sql import SparkSession

    SparkSession.builder.master("local[1]").getOrCreate()
"""


def _inner_pytest(tmp_path: Path, *args: str) -> str:
    (tmp_path / "conftest.py").write_text(INNER_CONFTEST)
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(tmp_path)])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout + done.stderr


def test_the_fast_lane_skips_spark_tests_and_refuses_to_start_the_jvm(tmp_path: Path) -> None:
    out = _inner_pytest(tmp_path, "-m", "not spark and not integration", "-rf")
    # both tests that use the spark fixture, directly or not, were marked and left out
    assert "1 failed, 1 passed, 2 deselected" in out
    assert "FAILED test_inner.py::test_starts_a_jvm_unmarked" in out
    assert "JvmInFastLane: this test starts the JVM but is not marked spark" in out
