"""The lakehouse on S3 (MinIO) and a Spark standalone cluster, as a user runs it: every
command a subprocess of the CLI configured by environment variables only.

Two small days are generated into an ``s3://`` landing zone and back-filled on an
``s3a://`` root with the driver's work done by the cluster's executors; while that runs,
a second ``lakehouse run`` is refused by the writer lease (naming the holder) and a
third waits for it and then finds nothing left to ingest. Afterwards: every landed file
is in the manifest once, the score through the ``deltalake`` readers on S3 is >= 0.999,
and ``audit --as-of-version``, ``exceptions`` and ``report`` work on S3.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lakehouse.config import REPO_ROOT
from tests.servers import Minio, SparkCluster

pytestmark = pytest.mark.integration

START = date(2026, 11, 2)
DAYS = 2
VOLUME = 150  # ledger events a day: small, the point is where it runs
SEED = 11


def _env(extra: dict[str, str]) -> dict[str, str]:
    # wide consoles: progress lines are not wrapped in the logs the test reads
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COLUMNS": "400", **extra}


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _popen(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[str]:
    with log.open("w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "lakehouse.cli", *args],
            env=env,
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _objects(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def _land(s3: Any, bucket: str, env: dict[str, str], tmp_path: Path) -> Path:
    """Generate the days straight into s3://bucket/landing (the truth stays local)."""
    truth = tmp_path / "truth"
    args = ["generate", "--seed", str(SEED), "--start", START.isoformat()]
    args += ["--days", str(DAYS), "--volume", str(VOLUME), "--truth", str(truth)]
    generated = _cli([*args, "--out", f"s3://{bucket}/landing"], env, tmp_path)
    assert generated.returncode == 0, generated.stderr
    return truth


def _lease(s3: Any, bucket: str) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key="lakehouse/_writer.lease")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    lease: dict[str, Any] = json.loads(body)
    return lease


def _wait_for_holder(s3: Any, bucket: str, proc: subprocess.Popen[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        lease = _lease(s3, bucket)
        if lease and not lease["released"]:
            return lease
        assert proc.poll() is None, "the backfill ended before it took the writer lease"
        time.sleep(0.2)
    raise AssertionError("the backfill did not take the writer lease within 300 s")


def _master_apps(ui: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{ui}/json/", timeout=10) as response:
        state = json.load(response)
    return [*state.get("activeapps", []), *state.get("completedapps", [])]


@pytest.fixture
def lake(s3_env: Minio) -> Iterator[tuple[Any, str]]:
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_env.endpoint, region_name="us-east-1")
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    yield s3, bucket


@pytest.mark.timeout(3600)
def test_backfill_on_s3_and_a_cluster_with_one_writer(
    s3_env: Minio, spark_cluster: SparkCluster, lake: tuple[Any, str], tmp_path: Path
) -> None:
    s3, bucket = lake
    env = _env(
        {
            "LAKEHOUSE_ROOT": f"s3a://{bucket}/lakehouse",
            "LAKEHOUSE_LANDING": f"s3://{bucket}/landing",
            "LAKEHOUSE__S3__ENDPOINT_URL": s3_env.endpoint,
            "LAKEHOUSE__SPARK__MASTER": spark_cluster.master,
            "LAKEHOUSE__SPARK__DRIVER_MEMORY": "1g",
            "LAKEHOUSE__SPARK__EXECUTOR_MEMORY": "1g",
            "LAKEHOUSE__SPARK__SHUFFLE_PARTITIONS": "2",
        }
    )
    truth = _land(s3, bucket, env, tmp_path)
    landed = _objects(s3, bucket, "landing/")
    assert landed

    last = date.fromordinal(START.toordinal() + DAYS - 1).isoformat()
    backfill = _popen(
        ["backfill", "--start", START.isoformat(), "--end", last],
        env,
        tmp_path,
        tmp_path / "backfill.log",
    )
    waiter: subprocess.Popen[str] | None = None
    try:
        holder = _wait_for_holder(s3, bucket, backfill)
        assert holder["run_id"].startswith("backfill-") and holder["pid"] == backfill.pid

        # a second writer that will not wait is refused, naming the holder
        refused = _cli(
            ["run", "--date", last], {**env, "LAKEHOUSE__LEASE__WAIT_SECONDS": "2"}, tmp_path
        )
        assert refused.returncode == 2, refused.stderr
        error = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
        assert len(error) == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert f"run {holder['run_id']} (host {holder['host']}, pid {backfill.pid}" in error[0]
        assert "waiting for the writer lease held by" in refused.stderr

        # a third waits for the backfill, then finds every file already ingested
        waiter = _popen(
            ["run", "--date", last, "--step", "ingest"],
            {**env, "LAKEHOUSE__LEASE__WAIT_SECONDS": "3000"},
            tmp_path,
            tmp_path / "waiter.log",
        )
        assert backfill.wait(timeout=3000) == 0, (tmp_path / "backfill.log").read_text()[-3000:]
        assert waiter.wait(timeout=900) == 0, (tmp_path / "waiter.log").read_text()[-3000:]
    finally:
        for proc in (backfill, waiter):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=60)
    waited = (tmp_path / "waiter.log").read_text()
    assert "waiting for the writer lease held by run backfill-" in waited
    assert "'ingested': 0" in waited and "'rejected': 0" in waited
    assert (_lease(s3, bucket) or {}).get("released") is True

    # the cluster's executors did the work
    apps = [app for app in _master_apps(spark_cluster.ui) if app.get("name") == "lakehouse"]
    assert apps, "no lakehouse application registered with the master"
    finished = [log for log in spark_cluster.executor_logs() if "Finished task" in log.read_text()]
    assert finished, f"no executor log with finished tasks under {spark_cluster.folder}"

    # nothing lost or doubled: every landed content once in the manifest (the generator
    # also lands byte-identical copies under new names), every row accounted for
    manifest = _read(env, "bronze._manifest")
    contents = {
        hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()
        for key in landed
    }
    assert sorted(manifest.file_sha256) == sorted(contents)
    assert (manifest.rows_read == manifest.rows_bronze + manifest.rows_quarantined).all()

    score = _cli(["score", "--truth", str(truth), "--json"], env, tmp_path)
    assert score.returncode == 0, score.stderr
    overall = json.loads(score.stdout)["overall"]
    assert overall["precision"] >= 0.999 and overall["recall"] >= 0.999, overall

    audit_args = ["audit", "--table", "recon_exceptions", "--as-of-version", "1", "--json"]
    audit = _cli(audit_args, env, tmp_path)
    assert audit.returncode == 0, audit.stderr
    assert json.loads(audit.stdout)["version"] == 1

    exceptions = _cli(["exceptions", "--format", "csv"], env, tmp_path)
    assert exceptions.returncode == 0, exceptions.stderr
    assert exceptions.stdout.startswith("leg,item_id,")

    report = _cli(["report", "--out", str(tmp_path / "report.html")], env, tmp_path)
    assert report.returncode == 0, report.stderr
    assert f"as of {last}" in (tmp_path / "report.html").read_text().lower()


def _read(env: dict[str, str], table: str) -> Any:
    """A table on S3 through the readers, configured by the same environment."""
    code = (
        "import sys, lakehouse; "
        f"lakehouse.read_table({table!r}).to_json(sys.stdout, orient='records')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    import pandas as pd

    return pd.DataFrame(json.loads(result.stdout))
