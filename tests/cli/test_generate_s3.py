"""``lakehouse generate --out s3://bucket/prefix`` puts every file through the S3 landing
zone: the same bytes as a local run. Needs MinIO (the shared ``minio`` fixture of
``tests/servers.py``)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from lakehouse import cli
from tests.servers import Minio

pytestmark = pytest.mark.integration


@pytest.fixture
def s3(s3_env: Minio, monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3

    monkeypatch.setenv("LAKEHOUSE__S3__ENDPOINT_URL", s3_env.endpoint)
    return boto3.client("s3", endpoint_url=s3_env.endpoint, region_name="us-east-1")


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
