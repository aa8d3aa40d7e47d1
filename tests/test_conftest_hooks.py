"""The conftest's reading of a pytest-timeout failure under Spark, which makes every later
Spark test fail at once naming the timed-out test when the shared session is broken."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.conftest import timed_out_under_spark

TIMEOUT = "Failed: Timeout (>900.0s) from pytest-timeout."


@pytest.mark.parametrize(
    ("fixtures", "failed", "longrepr", "expected"),
    [
        (("spark", "tmp_path"), True, TIMEOUT, True),
        (("tmp_path",), True, TIMEOUT, False),  # no Spark: nothing shared was broken
        (("spark",), True, "AssertionError: 1 != 2", False),  # an ordinary failure
        (("spark",), False, "", False),
    ],
)
def test_only_a_timeout_of_a_spark_test_counts(fixtures, failed, longrepr, expected):
    item = SimpleNamespace(fixturenames=fixtures)
    report = SimpleNamespace(failed=failed, longrepr=longrepr)
    assert timed_out_under_spark(item, report) is expected  # type: ignore[arg-type]
