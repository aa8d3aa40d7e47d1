"""The landing zone: where partners and banks drop files, a local folder or S3.

Layout: ``<landing>/<feed>/<any name>``. A file's arrival date is the first
``YYYY-MM-DD`` / ``YYYYMMDD`` date in its name, else its modification time (UTC);
``ingest`` for business day D takes files that arrived on or before D, which is what
makes "reconcile D with what was known by D" hold for replays and backfills.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from lakehouse.config import Settings
from lakehouse.errors import LandingZoneError

_DATE_IN_NAME = re.compile(r"(20\d{2})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])")


@dataclass(frozen=True)
class LandedFile:
    """One object in the landing zone."""

    feed: str
    uri: str
    name: str
    size: int
    arrival_date: date


def arrival_date_of(name: str, modified: datetime) -> date:
    match = _DATE_IN_NAME.search(name)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    return modified.astimezone(UTC).date()


class LandingZone(Protocol):
    def list(self, feed: str) -> list[LandedFile]: ...

    def read(self, item: LandedFile) -> bytes: ...

    def put(self, feed: str, name: str, data: bytes) -> str: ...

    def archive(self, item: LandedFile, archive_root: str) -> None: ...


class LocalLandingZone:
    """A folder on the local disk."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def list(self, feed: str) -> list[LandedFile]:
        folder = self.root / feed
        if not folder.is_dir():
            return []
        files = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.name.startswith("."):
                continue
            stat = path.stat()
            modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
            files.append(
                LandedFile(feed, str(path), path.name, stat.st_size, arrival_date_of(path.name, modified))
            )
        return files

    def read(self, item: LandedFile) -> bytes:
        try:
            return Path(item.uri).read_bytes()
        except OSError as exc:
            raise LandingZoneError(f"cannot read landed file {item.uri}: {exc}") from exc

    def put(self, feed: str, name: str, data: bytes) -> str:
        target = self.root / feed / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: readers never see half a file
        return str(target)

    def archive(self, item: LandedFile, archive_root: str) -> None:
        target = Path(archive_root) / item.feed / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(item.uri, target)


def _split_s3(uri: str) -> tuple[str, str]:
    without = uri.removeprefix("s3://").removeprefix("s3a://")
    bucket, _, prefix = without.partition("/")
    if not bucket:
        raise LandingZoneError(f"S3 landing zone {uri!r} has no bucket; use s3://bucket/prefix")
    return bucket, prefix.strip("/")


class S3LandingZone:
    """A bucket and prefix on S3 or any S3-compatible server (MinIO), through boto3."""

    def __init__(self, uri: str, endpoint_url: str = "", region: str = "us-east-1") -> None:
        import boto3

        self.bucket, self.prefix = _split_s3(uri)
        self.client: Any = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region
        )

    def _key(self, feed: str, name: str = "") -> str:
        parts = [p for p in (self.prefix, feed, name) if p]
        return "/".join(parts)

    def _objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])
        except Exception as exc:
            raise LandingZoneError(
                f"cannot list s3://{self.bucket}/{prefix}: {exc}; check the bucket, "
                "[s3] endpoint_url and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
            ) from exc

    def list(self, feed: str) -> list[LandedFile]:
        prefix = self._key(feed) + "/"
        files = []
        for obj in self._objects(prefix):
            key = obj["Key"]
            name = key.rsplit("/", 1)[-1]
            if not name or name.startswith("."):
                continue
            files.append(
                LandedFile(
                    feed,
                    f"s3://{self.bucket}/{key}",
                    name,
                    int(obj["Size"]),
                    arrival_date_of(name, obj["LastModified"]),
                )
            )
        return sorted(files, key=lambda f: f.uri)

    def read(self, item: LandedFile) -> bytes:
        bucket, key = _split_s3(item.uri)
        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
            return bytes(body.read())
        except Exception as exc:
            raise LandingZoneError(f"cannot read {item.uri}: {exc}") from exc

    def put(self, feed: str, name: str, data: bytes) -> str:
        key = self._key(feed, name)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        return f"s3://{self.bucket}/{key}"

    def archive(self, item: LandedFile, archive_root: str) -> None:
        bucket, key = _split_s3(item.uri)
        arch_bucket, arch_prefix = _split_s3(archive_root)
        target = "/".join(p for p in (arch_prefix, item.feed, item.name) if p)
        self.client.copy_object(
            Bucket=arch_bucket, Key=target, CopySource={"Bucket": bucket, "Key": key}
        )


def landing_zone(settings: Settings, uri: str | None = None) -> LandingZone:
    """The landing zone named by ``uri`` or ``[storage] landing``."""
    target = uri or settings.storage.landing
    if target.startswith(("s3://", "s3a://")):
        return S3LandingZone(target, settings.s3.endpoint_url, settings.s3.region)
    return LocalLandingZone(target)
