"""Shared fixtures: one SparkSession per test session, a temporary lakehouse per test.

Every test that uses the ``spark`` fixture (directly or through another fixture) is
marked ``spark``, so ``pytest -m "not spark and not integration"`` (``make fast``) is
the fast lane. In a run where no selected test is marked ``spark`` the JVM cannot start:
a test that tries fails, naming itself, instead of slowing the lane down unnoticed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from tests.servers import minio, s3_env, spark_cluster  # noqa: F401  (fixtures for every test)

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("LAKEHOUSE_MASKING_KEY", "test-masking-key")

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = REPO_ROOT.parent / "shared" / "samples"


class JvmInFastLane(RuntimeError):
    """A test outside the ``spark`` marker tried to start the JVM."""


def _refuse_jvm(*_: object, **__: object) -> None:
    raise JvmInFastLane(
        "this test starts the JVM but is not marked spark: request the `spark` fixture "
        "(conftest marks it) or mark it @pytest.mark.spark"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: the marks must be on before -m deselects by them
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)


def pytest_collection_finish(session: pytest.Session) -> None:
    """When no selected test is marked ``spark``, starting the JVM is an error."""
    if any(item.get_closest_marker("spark") for item in session.items):
        return
    import pyspark.core.context
    import pyspark.java_gateway

    pyspark.java_gateway.launch_gateway = _refuse_jvm
    pyspark.core.context.launch_gateway = _refuse_jvm


# A pytest-timeout inside a py4j call can leave the one shared SparkSession unusable, and
# every later Spark test would then fail with an unrelated py4j error. After such a
# timeout, each later Spark test first probes the session and, if it is broken, fails at
# once naming the test whose timeout broke it.
_TIMED_OUT_SPARK_TESTS: list[str] = []


def timed_out_under_spark(item: pytest.Item, report: pytest.TestReport) -> bool:
    """Whether ``report`` is a pytest-timeout failure of a test that used Spark."""
    return (
        report.failed
        and "spark" in getattr(item, "fixturenames", ())
        and "from pytest-timeout" in str(report.longrepr)
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = (yield).get_result()
    if timed_out_under_spark(item, report):
        _TIMED_OUT_SPARK_TESTS.append(item.nodeid)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not _TIMED_OUT_SPARK_TESTS or "spark" not in getattr(item, "fixturenames", ()):
        return
    from pyspark.sql import SparkSession

    try:
        session = SparkSession.getActiveSession()
        if session is not None:
            session.range(1).count()
    except Exception as exc:
        pytest.fail(
            f"not run: the shared SparkSession is broken ({type(exc).__name__}) since "
            f"{_TIMED_OUT_SPARK_TESTS[0]} timed out inside a Spark call: that timeout is "
            "the failure to fix",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    from lakehouse.config import load_settings
    from lakehouse.spark import get_spark

    settings = load_settings()
    # Test data is small: a 2 GB heap is plenty and leaves room for the servers and
    # subprocess pipelines the integration tests start beside it.
    memory = os.environ.get("LAKEHOUSE_TEST_DRIVER_MEMORY", "2g")
    session = get_spark(
        replace(
            settings,
            spark=replace(settings.spark, shuffle_partitions=2, driver_memory=memory),
        ),
        app_name="lakehouse-tests",
    )
    yield session
    session.stop()


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Settings pointing at a fresh temporary lakehouse and landing zone."""
    from lakehouse.config import load_settings

    env = dict(os.environ)
    env["LAKEHOUSE_ROOT"] = str(tmp_path / "lakehouse")
    env["LAKEHOUSE_LANDING"] = str(tmp_path / "landing")
    return load_settings(env=env)


@pytest.fixture
def ctx(settings):  # type: ignore[no-untyped-def]
    from lakehouse.pipeline import context

    return context(settings, date(2026, 11, 2), run_id="test-run")


@pytest.fixture
def samples() -> Iterator[Path]:
    if not SAMPLES.is_dir():
        pytest.skip(f"real sample files not found at {SAMPLES} (../shared/samples)")
    yield SAMPLES
