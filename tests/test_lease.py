"""The writer lease: one writer per lakehouse, on a local root and on S3 (MinIO)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lakehouse.config import REPO_ROOT, Settings, load_settings
from lakehouse.errors import LeaseHeld, LeaseLost, StorageError
from lakehouse.lease import (
    LEASE_NAME,
    Holder,
    S3LeaseStore,
    acquire,
    held,
    lease_store,
    writer_lease,
)

# fast clocks: renew every 0.2 s, stale after 3 missed renewals (0.6 s)
FAST = {
    "LAKEHOUSE__LEASE__HEARTBEAT_SECONDS": "0.2",
    "LAKEHOUSE__LEASE__STALE_AFTER_HEARTBEATS": "3",
}

HOLDER_SCRIPT = """
import sys
from lakehouse.config import load_settings
from lakehouse.lease import writer_lease

with writer_lease(load_settings(), sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


def _settings(root: Path | str, wait: float = 0.0, **extra: str) -> Settings:
    env = {"LAKEHOUSE_ROOT": str(root), "LAKEHOUSE__LEASE__WAIT_SECONDS": str(wait), **FAST}
    return load_settings(env={**env, **extra})


@pytest.fixture
def holder_process(tmp_path: Path) -> Iterator[Any]:
    """Start another process that takes the lease of ``root`` and holds it until told."""
    started: list[subprocess.Popen[str]] = []

    def start(root: Path, run_id: str = "run-2026-11-02-other") -> subprocess.Popen[str]:
        env = {
            **os.environ,
            **FAST,
            "PYTHONPATH": str(REPO_ROOT),
            "LAKEHOUSE_ROOT": str(root),
            "LAKEHOUSE__LEASE__WAIT_SECONDS": "0",
        }
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER_SCRIPT, run_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        started.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def test_a_second_process_is_refused_with_the_holder_named(
    tmp_path: Path, holder_process: Any
) -> None:
    other = holder_process(tmp_path / "lh")
    with pytest.raises(LeaseHeld) as refused, writer_lease(_settings(tmp_path / "lh"), "mine"):
        pytest.fail("took a lease another process holds")
    message = str(refused.value)
    assert "run run-2026-11-02-other" in message
    assert f"pid {other.pid}" in message
    assert f"host {os.uname().nodename}" in message
    assert re.search(r"since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", message)
    assert "LAKEHOUSE__LEASE__WAIT_SECONDS" in message
    assert "\n" not in message


def test_a_second_writer_waits_for_the_first_to_finish(tmp_path: Path, holder_process: Any) -> None:
    other = holder_process(tmp_path / "lh")
    waiting: list[str] = []
    start = time.monotonic()
    other.stdin.write("done\n")  # it releases as soon as it reads this
    other.stdin.flush()
    with writer_lease(_settings(tmp_path / "lh", wait=30), "mine", waiting.append) as lease:
        assert lease.holder.run_id == "mine"
        assert other.wait(timeout=30) == 0
    assert time.monotonic() - start < 30
    assert not (tmp_path / "lh" / LEASE_NAME).exists()


def test_a_crashed_holders_lease_expires(tmp_path: Path, holder_process: Any) -> None:
    other = holder_process(tmp_path / "lh")
    other.send_signal(signal.SIGKILL)
    other.wait(timeout=30)
    lease_file = tmp_path / "lh" / LEASE_NAME
    assert json.loads(lease_file.read_text())["pid"] == other.pid  # left behind
    with writer_lease(_settings(tmp_path / "lh", wait=10), "after-crash"):
        assert json.loads(lease_file.read_text())["run_id"] == "after-crash"


def test_a_live_holder_keeps_its_lease_past_the_stale_age(
    tmp_path: Path, holder_process: Any
) -> None:
    holder_process(tmp_path / "lh")
    time.sleep(1.5)  # well past 0.6 s: only heartbeats keep it
    with pytest.raises(LeaseHeld), writer_lease(_settings(tmp_path / "lh", wait=0.5), "mine"):
        pytest.fail("took over a lease whose holder is alive")


def test_reentrant_within_a_process(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "lh")
    lease_file = tmp_path / "lh" / LEASE_NAME
    assert not held(settings)
    with writer_lease(settings, "outer") as outer:
        with writer_lease(settings, "inner") as inner:
            assert inner is outer
            assert held(settings)
        assert lease_file.exists()  # the inner block did not release it
        assert json.loads(lease_file.read_text())["run_id"] == "outer"
    assert not lease_file.exists()
    assert not held(settings)


def test_a_lease_taken_over_is_reported_lost(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "lh")
    lease_file = tmp_path / "lh" / LEASE_NAME
    with pytest.raises(LeaseLost, match=r"run mine .* lost the writer lease"):  # noqa: SIM117
        with writer_lease(settings, "mine"):
            intruder = Holder.me("intruder")
            lease_file.write_bytes(intruder.dumps())
            time.sleep(1.0)  # the next heartbeat finds another token
    assert json.loads(lease_file.read_text())["run_id"] == "intruder"  # left alone


def test_a_root_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StorageError, match=r"lakehouse root .*file is not a directory"):  # noqa: SIM117
        with writer_lease(_settings(tmp_path / "file"), "mine"):
            pass


def test_every_pipeline_step_holds_the_lease(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakehouse import pipeline

    settings = _settings(tmp_path / "lh")
    seen: list[str] = []

    def step(name: str, result: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            assert held(settings), f"{name} ran without the writer lease"
            seen.append(name)
            return result

        return run

    class Report:
        outcomes = ()

    monkeypatch.setattr(pipeline, "ingest", step("ingest", Report()))
    monkeypatch.setattr(pipeline, "refine", step("refine", {}))
    monkeypatch.setattr(pipeline, "reconcile", step("reconcile", {}))
    spark = object()  # the steps are stubs: no Spark
    ctx = pipeline.context(settings, date(2026, 11, 2), "run-x")
    pipeline.run_ingest(spark, ctx)  # type: ignore[arg-type]
    pipeline.run_refine(spark, ctx)  # type: ignore[arg-type]
    pipeline.run_reconcile(spark, ctx)  # type: ignore[arg-type]
    assert not held(settings)
    pipeline.run_day(date(2026, 11, 3), settings, spark)  # type: ignore[arg-type]
    assert seen == ["ingest", "refine", "reconcile"] * 2
    assert not held(settings)


# --------------------------------------------------------------------------- S3 (MinIO)

from tests.servers import Minio  # noqa: E402


@pytest.fixture
def s3_root(s3_env: Minio) -> str:
    import boto3

    bucket = f"lease-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_env.endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return f"s3a://{bucket}/lakehouse"


def _s3_settings(root: str, endpoint: str, wait: float = 0.0) -> Settings:
    # S3 times have whole seconds: renew every 0.5 s, stale after 6 missed (3 s)
    slow = {
        "LAKEHOUSE__LEASE__HEARTBEAT_SECONDS": "0.5",
        "LAKEHOUSE__LEASE__STALE_AFTER_HEARTBEATS": "6",
    }
    return _settings(root, wait, LAKEHOUSE__S3__ENDPOINT_URL=endpoint, **slow)


@pytest.mark.integration
def test_s3_lease_is_exclusive_and_names_the_holder(s3_env: Minio, s3_root: str) -> None:
    settings = _s3_settings(s3_root, s3_env.endpoint)
    first_store = lease_store(settings)
    assert isinstance(first_store, S3LeaseStore)
    assert first_store.uri == f"{s3_root.replace('s3a://', 's3://')}/{LEASE_NAME}"
    first = acquire(first_store, "first-run", settings.lease)
    try:
        with pytest.raises(LeaseHeld, match=rf"run first-run \(host .*, pid {os.getpid()}, since"):
            acquire(lease_store(settings), "second-run", settings.lease)
        time.sleep(4)  # heartbeats keep it alive past the stale age
        with pytest.raises(LeaseHeld):
            acquire(lease_store(settings), "second-run", settings.lease)
    finally:
        first.release()
    second = acquire(lease_store(settings), "second-run", settings.lease)  # released: free
    second.release()


@pytest.mark.integration
def test_s3_lease_of_a_crashed_holder_expires(s3_env: Minio, s3_root: str) -> None:
    settings = _s3_settings(s3_root, s3_env.endpoint, wait=15)
    crashed = Holder.me("crashed-run")
    assert lease_store(settings).try_take(crashed, settings.lease.stale_seconds) is None
    # nobody renews it now, as if its process had been killed
    start = time.monotonic()
    lease = acquire(lease_store(settings), "next-run", settings.lease)
    try:
        assert time.monotonic() - start >= 2.0
        assert lease.holder.run_id == "next-run"
        time.sleep(4)
        lease.check()  # its own heartbeats renew it (If-Match its last ETag)
    finally:
        lease.release()


@pytest.mark.integration
def test_s3_lease_on_a_missing_bucket_is_one_clear_error(s3_env: Minio) -> None:
    settings = _s3_settings("s3a://no-such-lake/lh", s3_env.endpoint)
    with pytest.raises(StorageError, match=r"bucket 'no-such-lake' does not exist"):  # noqa: SIM117
        with writer_lease(settings, "mine"):
            pass
