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

from lakehouse.config import S3Settings, Settings
from lakehouse.errors import LandingZoneError, StorageError
from lakehouse.storage import describe_server, explain_s3_error, s3_client

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
    @property
    def location(self) -> str: ...

    def exists(self) -> bool: ...

    def list(self, feed: str) -> list[LandedFile]: ...

    def read(self, item: LandedFile) -> bytes: ...

    def put(self, feed: str, name: str, data: bytes) -> str: ...

    def archive(self, item: LandedFile, archive_root: str) -> None: ...


class LocalLandingZone:
    """A folder on the local disk."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    @property
    def location(self) -> str:
        return str(self.root)

    def exists(self) -> bool:
        return self.root.is_dir()

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
            arrival = arrival_date_of(path.name, modified)
            files.append(LandedFile(feed, str(path), path.name, stat.st_size, arrival))
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
        """Copy ``item`` to ``<archive_root>/<feed>/<name>``; keeps the original."""
        if _is_s3(archive_root):
            raise LandingZoneError(
                f"cannot archive {item.uri} to {archive_root}: a local landing zone archives "
                "to a local folder; set [storage] archive to a path"
            )
        source = Path(item.uri)
        try:
            relative = source.relative_to(self.root / item.feed)
        except ValueError:
            relative = Path(item.name)
        target = Path(archive_root) / item.feed / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(source, target)
        except OSError as exc:
            raise LandingZoneError(f"cannot archive {item.uri} to {target}: {exc}") from exc


def _split_s3(uri: str) -> tuple[str, str]:
    without = uri.removeprefix("s3://").removeprefix("s3a://")
    bucket, _, prefix = without.partition("/")
    if not bucket:
        raise LandingZoneError(f"S3 landing zone {uri!r} has no bucket; use s3://bucket/prefix")
    return bucket, prefix.strip("/")


def _split_object(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key), the key exactly as stored (not stripped)."""
    bucket, _, key = uri.removeprefix("s3://").removeprefix("s3a://").partition("/")
    if not bucket or not key:
        raise LandingZoneError(f"{uri!r} is not an S3 object URI (s3://bucket/key)")
    return bucket, key


def _is_s3(uri: str) -> bool:
    return uri.startswith(("s3://", "s3a://"))


class S3LandingZone:
    """A bucket and prefix on S3 or any S3-compatible server (MinIO), through boto3.

    Keys are ``<prefix>/<feed>/<name>``; "directory marker" keys (ending in ``/``) and
    hidden names (``.*``) are skipped, as in a local folder. Listing pages through any
    number of objects. ``archive`` copies (never moves) to an ``s3://`` or local root.
    """

    def __init__(self, uri: str, endpoint_url: str = "", region: str = "us-east-1") -> None:
        self.bucket, self.prefix = _split_s3(uri)
        self.endpoint_url = endpoint_url
        try:
            self.client: Any = s3_client(S3Settings(endpoint_url, region), f"landing zone {uri}")
        except StorageError as exc:
            raise LandingZoneError(str(exc)) from exc

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def location(self) -> str:
        return self.uri

    def exists(self) -> bool:
        """A prefix exists once an object is under it; a missing bucket fails the listing
        with a clear error, so there is nothing to check up front."""
        return True

    def _key(self, feed: str, name: str = "") -> str:
        parts = [p for p in (self.prefix, feed, name) if p]
        return "/".join(parts)

    def _explain(
        self, action: str, target: str, exc: Exception, bucket: str | None = None
    ) -> LandingZoneError:
        """A LandingZoneError saying what failed, where, why, and what to change."""
        from botocore.exceptions import ClientError

        found = explain_s3_error(
            exc,
            action=action,
            target=f"{target} (landing zone {self.uri})",
            endpoint_url=self.endpoint_url,
            bucket=bucket or self.bucket,
            where="[storage] landing / LAKEHOUSE_LANDING, [storage] archive",
        )
        if found is not None:
            return LandingZoneError(str(found))
        code = ""
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {"NoSuchKey", "404"}:
            fix = "no such object (deleted or moved since it was listed?)"
        else:
            _, endpoint = describe_server(self.endpoint_url)
            fix = f"{code or type(exc).__name__}: {exc}; {endpoint}"
        return LandingZoneError(f"cannot {action} {target} (landing zone {self.uri}): {fix}")

    def _objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])
        except Exception as exc:
            raise self._explain("list", f"s3://{self.bucket}/{prefix}", exc) from exc

    def list(self, feed: str) -> list[LandedFile]:
        prefix = self._key(feed) + "/"
        files = []
        for obj in self._objects(prefix):
            key = obj["Key"]
            name = key.rsplit("/", 1)[-1]
            if not name or name.startswith("."):  # directory marker or hidden
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
        bucket, key = _split_object(item.uri)
        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
            return bytes(body.read())
        except Exception as exc:
            raise self._explain("read", item.uri, exc) from exc

    def put(self, feed: str, name: str, data: bytes) -> str:
        key = self._key(feed, name)
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        except Exception as exc:
            raise self._explain("write", f"s3://{self.bucket}/{key}", exc) from exc
        return f"s3://{self.bucket}/{key}"  # a PUT is atomic: readers never see half of it

    def _relative(self, item: LandedFile) -> str:
        """The key below ``<prefix>/<feed>/``, so nested names keep their sub-folders."""
        _, key = _split_object(item.uri)
        base = self._key(item.feed) + "/"
        return key.removeprefix(base) if key.startswith(base) else item.name

    def archive(self, item: LandedFile, archive_root: str) -> None:
        """Copy ``item`` to ``<archive_root>/<feed>/<name>`` (S3 or local); keeps the original."""
        bucket, key = _split_object(item.uri)
        relative = f"{item.feed}/{self._relative(item)}"
        if not _is_s3(archive_root):
            target = Path(archive_root) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(self.read(item))
            tmp.replace(target)
            return
        arch_bucket, arch_prefix = _split_s3(archive_root)
        target_key = "/".join(p for p in (arch_prefix, relative) if p)
        try:
            # managed copy: server-side, multipart above 8 MB (copy_object stops at 5 GB)
            self.client.copy({"Bucket": bucket, "Key": key}, arch_bucket, target_key)
        except Exception as exc:
            raise self._explain(
                "archive", f"{item.uri} to s3://{arch_bucket}/{target_key}", exc, arch_bucket
            ) from exc


def landing_zone(settings: Settings, uri: str | None = None) -> LandingZone:
    """The landing zone named by ``uri`` or ``[storage] landing``."""
    target = uri or settings.storage.landing
    if _is_s3(target):
        return S3LandingZone(target, settings.s3.endpoint_url, settings.s3.region)
    return LocalLandingZone(target)
