"""``lakehouse generate --out s3://bucket/prefix`` puts every file through the S3 landing
zone: the same bytes as a local run. Needs MinIO (``scripts/minio.sh``), on
``MINIO_PORT`` when set, else on a free loopback port."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse import cli
from tests.test_landing import MINIO_PASSWORD, MINIO_USER, Minio, _free_port, _run

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Minio]:
    port = int(os.environ.get("MINIO_PORT") or _free_port())
    env = {
        **os.environ,
        "MINIO_PORT": str(port),
        "MINIO_CONSOLE_PORT": os.environ.get("MINIO_CONSOLE_PORT") or str(_free_port()),
        "MINIO_BROWSER": "off",
        "MINIO_ROOT_USER": MINIO_USER,
        "MINIO_ROOT_PASSWORD": MINIO_PASSWORD,
    }
    if _run(["install"], env, timeout=3600).returncode != 0:
        pytest.fail("scripts/minio.sh install failed")
    try:
        started = _run(["start", str(tmp_path_factory.mktemp("minio"))], env, timeout=120)
        if started.returncode != 0:
            pytest.fail(f"scripts/minio.sh start failed:\n{started.stdout}\n{started.stderr}")
        yield Minio(f"http://127.0.0.1:{port}", MINIO_USER, MINIO_PASSWORD)
    finally:
        _run(["stop"], env, timeout=60)


@pytest.fixture
def s3(server: Minio, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.user)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.password)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("LAKEHOUSE__S3__ENDPOINT_URL", server.endpoint)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1")


def _generate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    base = ["generate", "--days", "3", "--volume", "60", "--seed", "5", "--noise", "all=0.05"]
    with pytest.raises(SystemExit) as exit_:
        cli.main([*base, *argv])
    captured = capsys.readouterr()
    return int(exit_.value.code or 0), captured.out + captured.err


def test_generate_to_s3_puts_the_bytes_a_local_run_writes(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = f"gen-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    code, text = _generate(
        capsys, "--out", f"s3://{bucket}/land/ing", "--truth", str(tmp_path / "t")
    )
    assert code == 0, text
    code, _ = _generate(capsys, "--out", str(tmp_path / "local"))
    assert code == 0
    local = {
        f"land/ing/{p.relative_to(tmp_path / 'local').as_posix()}": p.read_bytes()
        for p in sorted((tmp_path / "local").rglob("*"))
        if p.is_file()
    }
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    remote = {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}
    assert len(remote) == 16 and remote == local
    assert (tmp_path / "t" / "matches.csv").is_file()


def test_generate_to_a_missing_bucket_is_one_line_and_exit_2(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _generate(capsys, "--out", "s3://no-such-bucket-here/land")
    assert code == 2
    assert "bucket 'no-such-bucket-here' does not exist" in text
    assert len(text.strip().splitlines()) == 1 and "Traceback" not in text
