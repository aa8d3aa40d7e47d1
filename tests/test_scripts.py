"""The install and server scripts' cheap paths (no network, no server started)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lakehouse.config import REPO_ROOT
from tests.servers import free_port

SCRIPTS = REPO_ROOT / "scripts"


def _bash(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_fetch_jars_check_notices_a_missing_or_partial_s3_set(tmp_path: Path) -> None:
    check = [str(SCRIPTS / "fetch_jars.sh"), "--check", str(tmp_path)]
    for name in ("delta-spark_4.2_2.13-4.4.0.jar", "delta-storage-4.4.0.jar"):
        (tmp_path / name).write_bytes(b"")
    assert _bash(*check).returncode == 1  # Delta only: the S3 set is missing
    jars = ["hadoop-aws-3.5.0.jar", "s3-2.35.4.jar"]
    (tmp_path / "s3-jars.txt").write_text("\n".join(jars) + "\n")
    (tmp_path / jars[0]).write_bytes(b"")
    assert _bash(*check).returncode == 1  # a jar the manifest lists is missing
    (tmp_path / jars[1]).write_bytes(b"")
    assert _bash(*check).returncode == 0
    assert _bash(*check, HADOOP_AWS_VERSION="3.5.1").returncode == 1  # another version


def test_spark_cluster_status_and_usage(tmp_path: Path) -> None:
    script = str(SCRIPTS / "spark_cluster.sh")
    ports = {
        "SPARK_MASTER_PORT": str(free_port()),
        "SPARK_MASTER_WEBUI_PORT": str(free_port()),
        "SPARK_CLUSTER_DIR": str(tmp_path),
    }
    status = _bash(script, "status", **ports)
    assert status.returncode == 1
    assert f"spark://127.0.0.1:{ports['SPARK_MASTER_PORT']} is not running" in status.stdout
    assert _bash(script, "stop", **ports).returncode == 0  # nothing to stop is fine
    usage = _bash(script, "restart", **ports)
    assert usage.returncode == 2 and "usage:" in usage.stderr
