"""Where a preview writes: a scratch lakehouse root of its own, never the real gold.

A preview's gold lives under ``<root>/_preview/<id>/gold/`` (or under ``--scratch``),
next to ``preview.json``, which says what the preview was (rules file, days, when,
status) and holds its diff once made. Local folders and ``s3://`` roots both work.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.storage import is_s3, s3_client, split_s3

FOLDER = "_preview"
MANIFEST = "preview.json"


def new_id(start: date, end: date) -> str:
    return f"{start:%Y%m%d}-{end:%Y%m%d}-{uuid.uuid4().hex[:8]}"


def check_id(preview_id: str) -> str:
    """A preview id names one folder: no path separators, no dots first."""
    if not preview_id or "/" in preview_id or "\\" in preview_id or preview_id.startswith("."):
        raise LakehouseError(
            f"preview id {preview_id!r} is not a preview id; use one that "
            "`lakehouse preview --list` shows"
        )
    return preview_id


def home(settings: Settings) -> str:
    """The folder holding every preview of the lakehouse: ``<root>/_preview``."""
    return f"{settings.storage.root.rstrip('/')}/{FOLDER}"


def location(settings: Settings, preview_id: str) -> str:
    return f"{home(settings)}/{check_id(preview_id)}"


@dataclass(frozen=True)
class Manifest:
    preview_id: str
    rules: str
    start: date
    end: date
    created_at: datetime
    status: str = "running"  # running, done, failed
    diff: dict[str, Any] | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.preview_id,
                "rules": self.rules,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "created_at": self.created_at.isoformat(),
                "status": self.status,
                "diff": self.diff,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        return cls(
            raw["id"],
            raw["rules"],
            date.fromisoformat(raw["start"]),
            date.fromisoformat(raw["end"]),
            datetime.fromisoformat(raw["created_at"]),
            raw.get("status", "running"),
            raw.get("diff"),
        )


def started(preview_id: str, rules: Path, start: date, end: date) -> Manifest:
    return Manifest(preview_id, str(rules), start, end, datetime.now(UTC).replace(microsecond=0))


class Scratch:
    """One scratch root (local folder or ``s3://bucket/prefix``)."""

    def __init__(self, settings: Settings, root: str) -> None:
        self.settings = settings
        self.root = root.rstrip("/")

    def _client(self) -> Any:
        return s3_client(self.settings.s3, f"the preview scratch {self.root}")

    def exists(self) -> bool:
        if not is_s3(self.root):
            return Path(self.root).exists()
        bucket, prefix = split_s3(self.root)
        found = self._client().list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/", MaxKeys=1)
        return bool(found.get("KeyCount"))

    def write_manifest(self, manifest: Manifest) -> None:
        text = manifest.to_json()
        if not is_s3(self.root):
            Path(self.root).mkdir(parents=True, exist_ok=True)
            tmp = Path(self.root) / f".{MANIFEST}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(Path(self.root) / MANIFEST)
            return
        bucket, prefix = split_s3(self.root)
        self._client().put_object(Bucket=bucket, Key=f"{prefix}/{MANIFEST}", Body=text.encode())

    def manifest(self) -> Manifest | None:
        try:
            if not is_s3(self.root):
                return Manifest.from_json((Path(self.root) / MANIFEST).read_text("utf-8"))
            bucket, prefix = split_s3(self.root)
            body = self._client().get_object(Bucket=bucket, Key=f"{prefix}/{MANIFEST}")["Body"]
            return Manifest.from_json(body.read().decode())
        except (OSError, ValueError, KeyError):
            return None
        except Exception as exc:  # botocore's NoSuchKey and friends
            if "NoSuchKey" in type(exc).__name__ or "NoSuchKey" in str(exc):
                return None
            raise

    def remove(self) -> None:
        if not is_s3(self.root):
            shutil.rmtree(self.root, ignore_errors=False)
            return
        bucket, prefix = split_s3(self.root)
        client = self._client()
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/"
        ):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def scratch_of(settings: Settings, preview_id: str) -> Scratch:
    return Scratch(settings, location(settings, preview_id))


def listed(settings: Settings) -> list[tuple[str, Manifest | None]]:
    """Every preview under ``<root>/_preview``: its id and manifest (None if unreadable)."""
    base = home(settings)
    if not is_s3(base):
        folder = Path(base)
        ids = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    else:
        bucket, prefix = split_s3(base)
        client = Scratch(settings, base)._client()
        ids = []
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/", Delimiter="/"
        ):
            folders = page.get("CommonPrefixes", [])
            ids += [p["Prefix"].rstrip("/").rsplit("/", 1)[-1] for p in folders]
        ids.sort()
    return [(i, scratch_of(settings, i).manifest()) for i in ids]


def drop(settings: Settings, preview_id: str) -> str:
    """Remove the preview ``preview_id``; returns where it was."""
    scratch = scratch_of(settings, preview_id)
    if not scratch.exists():
        known = ", ".join(i for i, _ in listed(settings)) or "none"
        raise LakehouseError(
            f"no preview {preview_id!r} under {home(settings)} (previews there: {known}); "
            "use an id that `lakehouse preview --list` shows"
        )
    scratch.remove()
    return scratch.root
