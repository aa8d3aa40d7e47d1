"""Shared fixtures: one SparkSession per test session, a temporary lakehouse per test.

Every test that uses the ``spark`` fixture (directly or through another fixture) is
marked ``spark``, so ``pytest -m "not spark and not integration"`` (``make fast``) is
the fast lane. In a run where no selected test is marked ``spark`` the JVM cannot start:
a test that tries fails, naming itself, instead of slowing the lane down unnoticed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_timeout

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


# pytest-timeout interrupts a test by raising from a SIGALRM handler. Inside a py4j call
# that leaves the main thread's py4j connection waiting for the interrupted call's answer:
# the next call on it (pyspark's own clean-up, then every later test) reads that stale
# answer once the job ends, and one slow test reads as many unrelated py4j failures.
# For a Spark test the handler first closes that connection (the next call opens a new
# one) and cancels the running jobs, then fails the test as pytest-timeout does.


def release_spark() -> None:
    """Close the calling thread's py4j connection and cancel Spark's running jobs."""
    pyspark = sys.modules.get("pyspark")
    context = pyspark.SparkContext._active_spark_context if pyspark else None
    if context is None:
        return
    connection = context._gateway._gateway_client.get_thread_connection()
    if connection is not None:
        connection.close(reset=True)
    canceller = threading.Thread(target=context.cancelAllJobs, daemon=True)
    canceller.start()
    canceller.join(30)


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    if (
        settings.method != "signal"
        or threading.current_thread() is not threading.main_thread()
        or "spark" not in getattr(item, "fixturenames", ())
    ):
        return None  # pytest-timeout's own timer

    def handler(signum: int, frame: object) -> None:
        __tracebackhide__ = True
        release_spark()
        pytest_timeout.timeout_sigalrm(item, settings)

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # type: ignore[attr-defined]
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True


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
