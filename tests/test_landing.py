"""The landing zone: a local folder (fast unit tests) and S3 against a real MinIO.

The ``integration`` tests start MinIO on a free loopback port through
``scripts/minio.sh install|start|stop``; the first ``install`` on a machine builds it from
source with ``go install`` (about 7 minutes), later runs start it in under a second.
Skip them with ``pytest -m "not integration"``.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lakehouse.config import load_settings
from lakehouse.errors import LandingZoneError
from lakehouse.landing import (
    LocalLandingZone,
    S3LandingZone,
    arrival_date_of,
    landing_zone,
)
from tests.servers import Minio, free_port

EPOCH_2020 = datetime(2020, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- unit tests


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ledger_2024-03-05.csv", date(2024, 3, 5)),
        ("bai2_20240305.bai", date(2024, 3, 5)),
        # the first date wins: a late file names its delivery day before the business day
        ("balance_change_2024-03-06_for_20240305.csv", date(2024, 3, 6)),
        ("camt053_2024-03-05_copy.xml", date(2024, 3, 5)),
    ],
)
def test_arrival_date_from_the_name(name: str, expected: date) -> None:
    assert arrival_date_of(name, EPOCH_2020) == expected


@pytest.mark.parametrize(
    ("name", "modified", "expected"),
    [
        ("statement.csv", datetime(2024, 3, 5, 12, 0, tzinfo=UTC), date(2024, 3, 5)),
        # no date in the name: the modification time, taken in UTC
        (
            "statement.csv",
            datetime(2024, 3, 6, 1, 30, tzinfo=timezone(timedelta(hours=2))),
            date(2024, 3, 5),
        ),
        # looks like a date but is not one (Feb 30th): fall back to the modification time
        ("report_2024-02-30.csv", datetime(2024, 3, 1, tzinfo=UTC), date(2024, 3, 1)),
        ("report_19990101.csv", datetime(2024, 3, 1, tzinfo=UTC), date(2024, 3, 1)),
    ],
)
def test_arrival_date_falls_back_to_modification_time(
    name: str, modified: datetime, expected: date
) -> None:
    assert arrival_date_of(name, modified) == expected


def _write(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_local_list_is_per_feed_sorted_and_skips_hidden_files(tmp_path: Path) -> None:
    _write(tmp_path / "ledger" / "ledger_2024-03-06.csv", b"bb")
    _write(tmp_path / "ledger" / "ledger_2024-03-05.csv", b"a")
    _write(tmp_path / "ledger" / "late" / "ledger_2024-03-01.csv", b"ccc")
    _write(tmp_path / "ledger" / ".ledger_2024-03-07.csv.tmp")  # a put in progress
    _write(tmp_path / "ledger" / ".DS_Store")
    (tmp_path / "ledger" / "empty_folder").mkdir()
    _write(tmp_path / "ledger2" / "ledger_2024-03-05.csv")  # a feed whose name extends "ledger"
    _write(tmp_path / "adyen" / "report_2024-03-05.csv")
    zone = LocalLandingZone(str(tmp_path))

    files = zone.list("ledger")

    assert [f.name for f in files] == [
        "ledger_2024-03-01.csv",  # late/ sorts before the top-level files
        "ledger_2024-03-05.csv",
        "ledger_2024-03-06.csv",
    ]
    assert {f.feed for f in files} == {"ledger"}
    assert [f.size for f in files] == [3, 1, 2]
    assert [f.arrival_date for f in files] == [date(2024, 3, d) for d in (1, 5, 6)]
    assert files[0].uri == str(tmp_path / "ledger" / "late" / "ledger_2024-03-01.csv")
    assert [f.name for f in zone.list("adyen")] == ["report_2024-03-05.csv"]
    assert zone.list("stripe") == []  # no folder yet: nothing landed


def test_local_arrival_date_from_mtime_when_the_name_has_none(tmp_path: Path) -> None:
    path = _write(tmp_path / "bai2" / "statement.bai")
    stamp = datetime(2024, 3, 5, 23, 59, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    named = _write(tmp_path / "bai2" / "statement_2024-01-02.bai")
    os.utime(named, (stamp, stamp))

    by_name = {f.name: f.arrival_date for f in LocalLandingZone(str(tmp_path)).list("bai2")}

    assert by_name == {
        "statement.bai": date(2024, 3, 5),
        "statement_2024-01-02.bai": date(2024, 1, 2),  # the name wins over the mtime
    }


def test_local_read_returns_the_bytes_and_names_a_missing_file(tmp_path: Path) -> None:
    zone = LocalLandingZone(str(tmp_path))
    _write(tmp_path / "ledger" / "a.csv", b"id,amount\n1,2\n")
    (item,) = zone.list("ledger")
    assert zone.read(item) == b"id,amount\n1,2\n"

    Path(item.uri).unlink()
    with pytest.raises(LandingZoneError, match=r"cannot read landed file .*a\.csv"):
        zone.read(item)


def test_local_put_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zone = LocalLandingZone(str(tmp_path))
    old = zone.put("ledger", "ledger_2024-03-05.csv", b"old version")
    seen_during_write: list[tuple[list[str], bytes]] = []
    real_write_bytes = Path.write_bytes

    def spying_write_bytes(self: Path, data: Any) -> int:
        written = real_write_bytes(self, data)
        # the bytes are on disk but not yet renamed into place: readers see the old file
        seen_during_write.append(([f.name for f in zone.list("ledger")], Path(old).read_bytes()))
        return written

    monkeypatch.setattr(Path, "write_bytes", spying_write_bytes)
    uri = zone.put("ledger", "ledger_2024-03-05.csv", b"new version")
    monkeypatch.undo()

    assert uri == old == str(tmp_path / "ledger" / "ledger_2024-03-05.csv")
    assert seen_during_write == [(["ledger_2024-03-05.csv"], b"old version")]
    assert Path(uri).read_bytes() == b"new version"
    assert sorted(p.name for p in (tmp_path / "ledger").iterdir()) == ["ledger_2024-03-05.csv"]


def test_local_put_creates_the_feed_folder(tmp_path: Path) -> None:
    zone = LocalLandingZone(str(tmp_path / "landing"))
    zone.put("stripe", "balance_2024-03-05.csv", b"1")
    assert [f.name for f in zone.list("stripe")] == ["balance_2024-03-05.csv"]


def test_local_archive_copies_and_keeps_the_original(tmp_path: Path) -> None:
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    _write(landing / "ledger" / "ledger_2024-03-05.csv", b"top")
    _write(landing / "ledger" / "late" / "ledger_2024-03-05.csv", b"nested, same name")
    stamp = EPOCH_2020.timestamp()
    os.utime(landing / "ledger" / "ledger_2024-03-05.csv", (stamp, stamp))
    zone = LocalLandingZone(str(landing))

    for item in zone.list("ledger"):
        zone.archive(item, str(archive))

    assert (archive / "ledger" / "ledger_2024-03-05.csv").read_bytes() == b"top"
    assert (archive / "ledger" / "late" / "ledger_2024-03-05.csv").read_bytes() == (
        b"nested, same name"
    )
    assert (archive / "ledger" / "ledger_2024-03-05.csv").stat().st_mtime == stamp
    assert len(zone.list("ledger")) == 2  # copy, not move
    with pytest.raises(LandingZoneError, match="archives to a local folder"):
        zone.archive(zone.list("ledger")[0], "s3://bucket/archive")


def test_landing_zone_picks_local_for_a_path(tmp_path: Path) -> None:
    settings = load_settings(env={"LAKEHOUSE_LANDING": str(tmp_path)})
    zone = landing_zone(settings)
    assert isinstance(zone, LocalLandingZone)
    assert zone.root == tmp_path
    other = landing_zone(settings, str(tmp_path / "other"))
    assert isinstance(other, LocalLandingZone)
    assert other.root == tmp_path / "other"


def test_s3_uri_needs_a_bucket_and_a_valid_endpoint() -> None:
    with pytest.raises(LandingZoneError, match="has no bucket"):
        S3LandingZone("s3:///prefix")
    with pytest.raises(LandingZoneError, match=r"endpoint_url.*http://127\.0\.0\.1:9000"):
        S3LandingZone("s3://bucket/prefix", endpoint_url="127.0.0.1:9000")


def test_s3_zone_parses_bucket_and_prefix() -> None:
    zone = S3LandingZone("s3a://bucket/landing/in/", endpoint_url="http://127.0.0.1:1")
    assert (zone.bucket, zone.prefix) == ("bucket", "landing/in")
    assert zone.uri == "s3://bucket/landing/in"
    assert S3LandingZone("s3://bucket").prefix == ""


# -------------------------------------------------------------------- integration: MinIO


@pytest.fixture
def s3(s3_env: Minio) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=s3_env.endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"landing-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _put(s3: Any, bucket: str, keys: dict[str, bytes]) -> None:
    for key, data in keys.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)


def _keys(s3: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return found


integration = pytest.mark.integration


@integration
def test_s3_list_read_and_put(s3_env: Minio, s3: Any, bucket: str) -> None:
    _put(
        s3,
        bucket,
        {
            "in/ledger/ledger_2024-03-06.csv": b"bb",
            "in/ledger/ledger_2024-03-05.csv": b"a",
            "in/ledger/late/ledger_2024-03-01.csv": b"ccc",
            "in/ledger/statement.csv": b"no date in the name",
            "in/ledger/.hidden.csv": b"hidden",
            "in/ledger/": b"",  # "directory markers", as consoles and some tools create them
            "in/ledger/empty/": b"",
            "in/ledger2/ledger_2024-03-05.csv": b"another feed",
            "in/adyen/report_2024-03-05.csv": b"adyen",
            "elsewhere/ledger/ledger_2024-03-05.csv": b"outside the prefix",
        },
    )
    zone = S3LandingZone(f"s3://{bucket}/in/", s3_env.endpoint)

    files = zone.list("ledger")

    assert [f.uri for f in files] == [
        f"s3://{bucket}/in/ledger/late/ledger_2024-03-01.csv",
        f"s3://{bucket}/in/ledger/ledger_2024-03-05.csv",
        f"s3://{bucket}/in/ledger/ledger_2024-03-06.csv",
        f"s3://{bucket}/in/ledger/statement.csv",
    ]
    assert [f.name for f in files][:3] == [
        "ledger_2024-03-01.csv",
        "ledger_2024-03-05.csv",
        "ledger_2024-03-06.csv",
    ]
    assert [f.size for f in files] == [3, 1, 2, 19]
    modified = s3.head_object(Bucket=bucket, Key="in/ledger/statement.csv")["LastModified"]
    assert [f.arrival_date for f in files] == [
        date(2024, 3, 1),
        date(2024, 3, 5),
        date(2024, 3, 6),
        modified.astimezone(UTC).date(),
    ]
    assert [zone.read(f) for f in files] == [b"ccc", b"a", b"bb", b"no date in the name"]
    assert [f.uri for f in zone.list("adyen")] == [f"s3://{bucket}/in/adyen/report_2024-03-05.csv"]
    assert zone.list("stripe") == []

    uri = zone.put("stripe", "balance_2024-03-05.csv", b"put by the zone")
    assert uri == f"s3://{bucket}/in/stripe/balance_2024-03-05.csv"
    assert (
        s3.get_object(Bucket=bucket, Key="in/stripe/balance_2024-03-05.csv")["Body"].read()
        == b"put by the zone"
    )
    (landed,) = zone.list("stripe")
    assert (landed.uri, landed.size, landed.arrival_date) == (uri, 15, date(2024, 3, 5))

    # a zone at the bucket root: keys are <feed>/<name>
    root = S3LandingZone(f"s3://{bucket}", s3_env.endpoint)
    assert root.put("ledger", "x_2024-03-05.csv", b"x") == f"s3://{bucket}/ledger/x_2024-03-05.csv"
    assert [f.name for f in root.list("ledger")] == ["x_2024-03-05.csv"]


@integration
def test_s3_archive_copies_to_s3_or_a_folder(
    s3_env: Minio, s3: Any, bucket: str, tmp_path: Path
) -> None:
    _put(
        s3,
        bucket,
        {
            "in/ledger/ledger_2024-03-05.csv": b"top",
            "in/ledger/late/ledger_2024-03-05.csv": b"nested, same name",
        },
    )
    other = f"archive-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=other)
    zone = S3LandingZone(f"s3://{bucket}/in", s3_env.endpoint)
    files = zone.list("ledger")

    for item in files:
        zone.archive(item, f"s3://{bucket}/archive/")
        zone.archive(item, f"s3://{other}")
        zone.archive(item, str(tmp_path / "archive"))

    expected = {
        "ledger/late/ledger_2024-03-05.csv": b"nested, same name",
        "ledger/ledger_2024-03-05.csv": b"top",
    }
    assert _keys(s3, bucket, "archive/") == {f"archive/{k}": v for k, v in expected.items()}
    assert _keys(s3, other) == expected
    local = tmp_path / "archive"
    assert {
        str(p.relative_to(local)): p.read_bytes() for p in local.rglob("*") if p.is_file()
    } == expected
    assert zone.list("ledger") == files  # copy, never move: replays still see the files

    with pytest.raises(LandingZoneError, match=r"bucket 'no-such-archive' does not exist"):
        zone.archive(files[0], "s3://no-such-archive/x")


@integration
def test_s3_list_pages_through_more_than_1000_objects(s3_env: Minio, s3: Any, bucket: str) -> None:
    keys = [f"in/bai2/bai2_2024-03-05_{i:04d}.bai" for i in range(1100)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"."), keys))
    zone = S3LandingZone(f"s3://{bucket}/in", s3_env.endpoint)
    pages: list[str] = []
    zone.client.meta.events.register(
        "before-call.s3.ListObjectsV2", lambda **_: pages.append("page")
    )

    started = time.monotonic()
    files = zone.list("bai2")

    assert len(pages) >= 2  # the server returns at most 1000 keys a page
    assert [f.uri for f in files] == [f"s3://{bucket}/{k}" for k in keys]
    assert time.monotonic() - started < 20


@integration
def test_s3_errors_name_the_bucket_and_the_fix(
    s3_env: Minio, s3: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = S3LandingZone("s3://no-such-bucket/in", s3_env.endpoint)
    with pytest.raises(LandingZoneError) as err:
        missing.list("ledger")
    message = str(err.value)
    assert "s3://no-such-bucket/in/ledger/" in message
    assert "bucket 'no-such-bucket' does not exist" in message
    assert s3_env.endpoint in message
    assert "LAKEHOUSE_LANDING" in message
    with pytest.raises(LandingZoneError, match="bucket 'no-such-bucket' does not exist"):
        missing.put("ledger", "a.csv", b"a")

    zone = S3LandingZone(f"s3://{bucket}/in", s3_env.endpoint)
    zone.put("ledger", "a.csv", b"a")
    (item,) = zone.list("ledger")
    s3.delete_object(Bucket=bucket, Key="in/ledger/a.csv")
    with pytest.raises(LandingZoneError, match=r"cannot read s3://.*/in/ledger/a\.csv.*no such"):
        zone.read(item)

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    wrong = S3LandingZone(f"s3://{bucket}/in", s3_env.endpoint)
    with pytest.raises(LandingZoneError, match=r"access denied.*AWS_SECRET_ACCESS_KEY"):
        wrong.list("ledger")

    down = S3LandingZone(f"s3://{bucket}/in", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(LandingZoneError, match=r"cannot connect to http://127\.0\.0\.1:\d+"):
        down.list("ledger")


@integration
def test_landing_zone_picks_s3_with_the_endpoint_from_settings(
    s3_env: Minio, s3: Any, bucket: str
) -> None:
    env = {
        "LAKEHOUSE_LANDING": f"s3://{bucket}/landing",
        "LAKEHOUSE__S3__ENDPOINT_URL": s3_env.endpoint,
        "LAKEHOUSE__S3__REGION": "us-east-1",
    }
    settings = load_settings(env=env)
    _put(
        s3,
        bucket,
        {"landing/ledger/ledger_2024-03-05.csv": b"a", "other/ledger/ledger_2024-03-06.csv": b"b"},
    )

    zone = landing_zone(settings)
    explicit = landing_zone(settings, f"s3a://{bucket}/other")

    assert isinstance(zone, S3LandingZone) and isinstance(explicit, S3LandingZone)
    assert zone.client.meta.endpoint_url == s3_env.endpoint
    assert zone.client.meta.region_name == "us-east-1"
    assert (zone.bucket, zone.prefix) == (bucket, "landing")
    assert [f.name for f in zone.list("ledger")] == ["ledger_2024-03-05.csv"]
    assert [f.name for f in explicit.list("ledger")] == ["ledger_2024-03-06.csv"]


@integration
@pytest.mark.spark
def test_bronze_ingest_from_s3_reads_each_file_once(
    s3_env: Minio, s3: Any, bucket: str, tmp_path: Path, spark: Any
) -> None:
    from lakehouse.bronze.ingest import ingest, known_files
    from lakehouse.pipeline import context
    from lakehouse.synthetic.generator import generate

    generated = generate(7, date(2024, 3, 4), 1, 10, tmp_path / "generated")
    # Two feeds (3 files, one a duplicate delivery) keep this test near 1 minute: every
    # ingested file costs a few Delta commits, ~10-25 s each on 2 busy cores.
    uploads = {
        f"landing/{path.relative_to(tmp_path / 'generated').as_posix()}": path.read_bytes()
        for path in generated.files
        if path.parent.name in {"ledger", "camt053"}
    }
    assert len(uploads) == 3
    _put(s3, bucket, uploads)
    settings = load_settings(
        env={
            "LAKEHOUSE_ROOT": str(tmp_path / "lakehouse"),
            "LAKEHOUSE_LANDING": f"s3://{bucket}/landing",
            "LAKEHOUSE__S3__ENDPOINT_URL": s3_env.endpoint,
        }
    )
    zone = landing_zone(settings)
    assert isinstance(zone, S3LandingZone)
    ctx = context(settings, date(2024, 3, 4))
    first = ingest(spark, zone, ctx)

    uris = sorted(f"s3://{bucket}/{key}" for key in uploads)
    assert sorted(o.path for o in first.outcomes) == uris  # every file, once
    distinct = {hashlib.sha256(data).hexdigest() for data in uploads.values()}
    fresh = [o for o in first.outcomes if o.status != "skipped"]
    assert len(fresh) == len(distinct)  # the planted duplicate delivery is skipped
    assert all(o.status == "ingested" for o in fresh), [(o.path, o.detail) for o in fresh]
    assert all(
        o.detail.startswith("same bytes as s3://") for o in first.outcomes if o.status == "skipped"
    )
    assert first.rows_bronze > 0
    assert {sha for _, sha in known_files(spark, ctx)} == distinct

    second = ingest(spark, zone, context(settings, date(2024, 3, 4)))

    assert sorted(o.path for o in second.outcomes) == uris
    assert {o.status for o in second.outcomes} == {"skipped"}
    assert second.rows_bronze == 0
    assert {sha for _, sha in known_files(spark, ctx)} == distinct
