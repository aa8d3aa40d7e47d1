"""The conftest's pytest-timeout handler for Spark tests: a test that times out inside
a Spark call fails alone, and the next Spark test of the session runs normally (without
the handler it read the interrupted call's answer and failed with a py4j error)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.spark  # a JVM, in the inner pytest run

CONFTEST = """
from tests.conftest import pytest_timeout_set_timer, spark  # noqa: F401
"""

TESTS = """
import pytest

def test_a_warm_up(spark):
    assert spark.range(1).count() == 1

@pytest.mark.timeout(10)
def test_a_spark_call_that_times_out(spark):
    spark.range(10**11).selectExpr("sum(id * 3 % 7)").collect()

def test_the_next_spark_test(spark):
    assert spark.range(3).count() == 3
"""


def test_a_timeout_inside_spark_fails_that_test_alone(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_timeouts.py").write_text(TESTS)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = done.stdout
    assert "1 failed, 2 passed" in out, out[-3000:]
    assert "FAILED test_timeouts.py::test_a_spark_call_that_times_out" in out
    assert "Timeout (>10.0s) from pytest-timeout" in out
