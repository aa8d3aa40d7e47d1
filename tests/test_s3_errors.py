"""Every S3 misconfiguration is one line on stderr and exit status 2, for the commands
that write (``run``: writer lease, then Spark) and those that read (``exceptions``:
``deltalake``). Against a real MinIO; no JVM starts (each error comes first)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lakehouse.config import REPO_ROOT
from tests.servers import Minio, free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def lake(s3_env: Minio) -> str:
    import boto3

    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_env.endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return bucket


def _cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "LAKEHOUSE_LANDING": str(tmp_path / "landing"),
        "LAKEHOUSE__LEASE__WAIT_SECONDS": "0",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )


def _one_line_error(result: subprocess.CompletedProcess[str], *phrases: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


RUN = ["run", "--date", "2026-11-02"]
READ = ["exceptions"]


@pytest.mark.parametrize("command", [RUN, READ], ids=["run", "exceptions"])
def test_bad_endpoint(command: list[str], s3_env: Minio, lake: str, tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    result = _cli(
        command,
        tmp_path,
        LAKEHOUSE_ROOT=f"s3a://{lake}/lh",
        LAKEHOUSE__S3__ENDPOINT_URL=endpoint,
    )
    _one_line_error(result, f"cannot connect to {endpoint}", "[s3] endpoint_url")


@pytest.mark.parametrize("command", [RUN, READ], ids=["run", "exceptions"])
def test_bad_credentials(command: list[str], s3_env: Minio, lake: str, tmp_path: Path) -> None:
    result = _cli(
        command,
        tmp_path,
        LAKEHOUSE_ROOT=f"s3a://{lake}/lh",
        LAKEHOUSE__S3__ENDPOINT_URL=s3_env.endpoint,
        AWS_SECRET_ACCESS_KEY="not-the-secret",
    )
    _one_line_error(result, "access denied", "AWS_SECRET_ACCESS_KEY")


@pytest.mark.parametrize("command", [RUN, READ], ids=["run", "exceptions"])
def test_missing_bucket(command: list[str], s3_env: Minio, tmp_path: Path) -> None:
    result = _cli(
        command,
        tmp_path,
        LAKEHOUSE_ROOT="s3a://no-such-lake/lh",
        LAKEHOUSE__S3__ENDPOINT_URL=s3_env.endpoint,
    )
    _one_line_error(result, "bucket 'no-such-lake' does not exist", "LAKEHOUSE_ROOT")


def test_missing_s3_jars(s3_env: Minio, lake: str, tmp_path: Path) -> None:
    jars = tmp_path / "jars"
    jars.mkdir()
    for name in ("delta-spark_4.2_2.13-4.4.0.jar", "delta-storage-4.4.0.jar"):
        (jars / name).write_bytes(b"")
    result = _cli(
        RUN,
        tmp_path,
        LAKEHOUSE_ROOT=f"s3a://{lake}/lh",
        LAKEHOUSE__S3__ENDPOINT_URL=s3_env.endpoint,
        LAKEHOUSE__SPARK__JARS_DIR=str(jars),
    )
    _one_line_error(result, "S3 connector jars", "make install")


def test_a_cluster_with_a_local_root(tmp_path: Path) -> None:
    result = _cli(
        RUN,
        tmp_path,
        LAKEHOUSE_ROOT=str(tmp_path / "lh"),
        LAKEHOUSE__SPARK__MASTER="spark://127.0.0.1:7077",
    )
    _one_line_error(result, "a cluster needs a shared store", "s3a://", "ALLOW_LOCAL_ROOT")
