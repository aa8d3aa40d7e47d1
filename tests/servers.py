"""Real servers for integration tests, started by the project's scripts on loopback and
always stopped: MinIO (``scripts/minio.sh``) and a Spark standalone cluster
(``scripts/spark_cluster.sh``). Registered as fixtures by ``tests/conftest.py``.

``MINIO_PORT`` chooses MinIO's port (default: a free one).
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MINIO_SH = REPO_ROOT / "scripts" / "minio.sh"
MINIO_USER = "minioadmin"
MINIO_PASSWORD = "minioadmin-secret"


@dataclass(frozen=True)
class Minio:
    endpoint: str
    user: str
    password: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(MINIO_SH), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def minio(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Minio]:
    """A MinIO server on loopback for the whole session, always stopped."""
    port = int(os.environ.get("MINIO_PORT") or free_port())
    env = {
        **os.environ,
        "MINIO_PORT": str(port),
        "MINIO_CONSOLE_PORT": os.environ.get("MINIO_CONSOLE_PORT") or str(free_port()),
        "MINIO_BROWSER": "off",
        "MINIO_ROOT_USER": MINIO_USER,
        "MINIO_ROOT_PASSWORD": MINIO_PASSWORD,
    }
    # The first install builds MinIO from source for minutes: let its progress through.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        installed = subprocess.run(
            ["bash", str(MINIO_SH), "install"], env=env, timeout=3600, check=False
        )
    if installed.returncode != 0:
        pytest.fail(f"scripts/minio.sh install failed (exit {installed.returncode})")
    request.addfinalizer(lambda: _run(["stop"], env, timeout=60))  # even if start fails
    started = _run(["start", str(tmp_path_factory.mktemp("minio-data"))], env, timeout=120)
    if started.returncode != 0:
        pytest.fail(f"scripts/minio.sh start failed:\n{started.stdout}\n{started.stderr}")
    yield Minio(f"http://127.0.0.1:{port}", MINIO_USER, MINIO_PASSWORD)


@pytest.fixture
def s3_env(minio: Minio, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Minio:
    """boto3 sees only the MinIO root credentials, whatever the developer's AWS setup."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", minio.user)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", minio.password)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
    ):
        monkeypatch.delenv(name, raising=False)
    return minio


SPARK_CLUSTER_SH = REPO_ROOT / "scripts" / "spark_cluster.sh"


@dataclass(frozen=True)
class SparkCluster:
    master: str
    ui: str
    folder: Path  # pids, logs and the workers' work dirs (work-<i>/app-*/<executor>/)

    def executor_logs(self) -> list[Path]:
        return sorted(self.folder.glob("work-*/app-*/*/stderr"))


@pytest.fixture(scope="session")
def spark_cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkCluster]:
    """A standalone master and one worker on loopback for the whole session, started
    and always stopped by ``scripts/spark_cluster.sh`` (ports: its defaults, 7077 and
    8080, or SPARK_MASTER_PORT / SPARK_MASTER_WEBUI_PORT)."""
    folder = tmp_path_factory.mktemp("spark-cluster")
    env = {
        **os.environ,
        "SPARK_CLUSTER_DIR": str(folder),
        "SPARK_WORKERS": "1",
        "SPARK_WORKER_CORES": os.environ.get("SPARK_WORKER_CORES", "2"),
        "SPARK_WORKER_MEMORY": os.environ.get("SPARK_WORKER_MEMORY", "2g"),
    }

    def script(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SPARK_CLUSTER_SH), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    request.addfinalizer(lambda: script("stop"))  # even if start fails half-way
    started = script("start")
    if started.returncode != 0:
        pytest.fail(f"scripts/spark_cluster.sh start failed:\n{started.stdout}\n{started.stderr}")
    port = env.get("SPARK_MASTER_PORT", "7077")
    ui_port = env.get("SPARK_MASTER_WEBUI_PORT", "8080")
    yield SparkCluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}", folder)
