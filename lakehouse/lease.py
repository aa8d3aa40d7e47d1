"""One writer per lakehouse: a lease kept on the store itself, ``<root>/_writer.lease``.

Delta commits are atomic, but two drivers writing the same lakehouse interleave their
steps (and on S3, without a DynamoDB log store, two drivers committing the same
version lose one commit silently). Every step that writes takes the lease first
(:func:`writer_lease`); readers never need it.

* **Taking it** is an exclusive create: ``O_CREAT | O_EXCL`` on a local root, a
  conditional put (``If-None-Match: *``) on S3, which AWS S3 and MinIO support.
* **Holding it**: a heartbeat thread renews it every ``[lease] heartbeat_seconds``
  (on S3 a put ``If-Match`` the holder's last ETag, so only the holder can renew).
* **A second writer** waits up to ``[lease] wait_seconds`` and then fails with one line
  naming the holder (run id, host, pid, since).
* **A crashed holder** stops renewing: after ``stale_after_heartbeats`` missed renewals
  (measured by the store's clock: file mtime, S3 ``Last-Modified``) its lease is stale
  and the next writer takes it over, again atomically (a local guard lock; on S3 a put
  ``If-Match`` the stale ETag).
* **Re-entrant** within a process: a flow holding it can call steps that take it again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

from lakehouse.config import LeaseSettings, Settings
from lakehouse.errors import ConfigError, LeaseHeld, LeaseLost, StorageError
from lakehouse.storage import explain_s3_error, is_local, is_s3, s3_client, split_s3

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

LEASE_NAME = "_writer.lease"
WAIT_REPORT_SECONDS = 30.0
MIN_S3_STALE_SECONDS = 3.0


@dataclass(frozen=True)
class Holder:
    """Who holds the lease; ``token`` tells this holder from any other."""

    run_id: str
    host: str
    pid: int
    since: str
    token: str
    released: bool = False

    @classmethod
    def me(cls, run_id: str) -> Holder:
        since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return cls(run_id, socket.gethostname(), os.getpid(), since, uuid.uuid4().hex)

    def describe(self) -> str:
        return f"run {self.run_id} (host {self.host}, pid {self.pid}, since {self.since})"

    def dumps(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def loads(cls, data: bytes) -> Holder | None:
        """None for an unreadable lease (a holder that died mid-write): treat it as stale."""
        try:
            raw = json.loads(data)
            return cls(
                str(raw["run_id"]),
                str(raw["host"]),
                int(raw["pid"]),
                str(raw["since"]),
                str(raw["token"]),
                bool(raw.get("released", False)),
            )
        except (ValueError, KeyError, TypeError):
            return None


def _live(holder: Holder | None, age: float, stale_seconds: float) -> bool:
    """Whether ``holder`` still holds the lease; a stale holder is taken over (said)."""
    if holder is None or holder.released:
        return False
    if age < stale_seconds:
        return True
    log.warning(
        "writer lease of %s is stale (no heartbeat for %.0fs): taking it over",
        holder.describe(),
        age,
    )
    return False


class LeaseStore(Protocol):
    """Where the lease lives; every method is atomic with respect to other writers."""

    uri: str

    def try_take(self, me: Holder, stale_seconds: float) -> Holder | None:
        """Take the lease when free, released or stale; else return the live holder."""

    def renew(self, me: Holder) -> bool:
        """Renew the lease; False when it is no longer ``me``'s."""

    def release(self, me: Holder) -> None:
        """Give the lease up (nothing when it is no longer ``me``'s)."""


class LocalLeaseStore:
    """``<root>/_writer.lease``, created with ``O_EXCL``. A short ``flock`` on a guard file
    makes check-then-take, renew and release atomic (the kernel drops it if we die)."""

    def __init__(self, root: str) -> None:
        folder = Path(root.removeprefix("file://"))
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StorageError(
                f"lakehouse root {root} is not a directory; point LAKEHOUSE_ROOT "
                "([storage] root) at a folder or an s3a:// URI"
            ) from None
        except OSError as exc:
            raise StorageError(f"cannot create the lakehouse root {root}: {exc.strerror}") from None
        self.path = folder / LEASE_NAME
        self.guard = folder / f".{LEASE_NAME}.guard"
        self.uri = lease_uri(root)

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        with self.guard.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _current(self) -> tuple[Holder | None, float] | None:
        try:
            data = self.path.read_bytes()
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return None
        return Holder.loads(data), age

    def _write(self, me: Holder, *, exclusive: bool) -> None:
        if exclusive:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(me.dumps())
            return
        tmp = self.path.with_name(f".{LEASE_NAME}.{me.token}.tmp")
        tmp.write_bytes(me.dumps())
        tmp.replace(self.path)  # readers see the old or the new lease, never half of one

    def try_take(self, me: Holder, stale_seconds: float) -> Holder | None:
        with self._guarded():
            current = self._current()
            if current is not None:
                holder, age = current
                if _live(holder, age, stale_seconds):
                    return holder
                self.path.unlink()
            try:
                self._write(me, exclusive=True)
            except FileExistsError:  # a writer that ignores the guard lock got there first
                current = self._current()
                return current[0] if current and current[0] else me
            return None

    def renew(self, me: Holder) -> bool:
        with self._guarded():
            current = self._current()
            if current is None or current[0] is None or current[0].token != me.token:
                return False
            self._write(me, exclusive=False)
            return True

    def release(self, me: Holder) -> None:
        with self._guarded():
            current = self._current()
            if current is not None and current[0] is not None and current[0].token == me.token:
                self.path.unlink()


def _s3_status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


class S3LeaseStore:
    """``s3://bucket/prefix/_writer.lease`` with conditional puts: ``If-None-Match: *`` to
    create, ``If-Match: <etag>`` to renew, take over a stale lease, or release it (a
    released lease stays as an object marked ``released``)."""

    def __init__(self, root: str, settings: Settings) -> None:
        self.bucket, prefix = split_s3(root)
        self.key = f"{prefix}/{LEASE_NAME}" if prefix else LEASE_NAME
        self.uri = lease_uri(root)
        self.endpoint_url = settings.s3.endpoint_url
        self.client: Any = s3_client(settings.s3, f"the writer lease {self.uri}")
        self._etag: str | None = None

    def _fail(self, exc: Exception, action: str) -> Exception:
        found = explain_s3_error(
            exc,
            action=action,
            target=self.uri,
            endpoint_url=self.endpoint_url,
            bucket=self.bucket,
            where="LAKEHOUSE_ROOT / [storage] root",
        )
        return found or StorageError(f"cannot {action} {self.uri}: {exc}")

    def _put(self, me: Holder, **condition: str) -> bool:
        """A conditional put; False when the condition failed (412, or 409 when another
        conditional write to the key was in flight)."""
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=me.dumps(), **condition
            )
        except Exception as exc:
            if _s3_status(exc) in (409, 412):
                return False
            raise self._fail(exc, "write the writer lease") from exc
        self._etag = str(response["ETag"])
        return True

    def _current(self) -> tuple[Holder | None, float, str] | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key)
            data = response["Body"].read()
        except Exception as exc:
            if _s3_status(exc) == 404 and "NoSuchBucket" not in str(exc):
                return None
            raise self._fail(exc, "read the writer lease") from exc
        # the server's clock on both ends: holders' clocks may disagree
        sent = response["ResponseMetadata"]["HTTPHeaders"].get("date")
        now = parsedate_to_datetime(sent) if sent else datetime.now(UTC)
        age = (now - response["LastModified"]).total_seconds()
        return Holder.loads(data), age, str(response["ETag"])

    def try_take(self, me: Holder, stale_seconds: float) -> Holder | None:
        # Last-Modified and Date have whole seconds: never judge staleness finer than that
        stale_seconds = max(stale_seconds, MIN_S3_STALE_SECONDS)
        if self._put(me, IfNoneMatch="*"):
            return None
        current = self._current()
        if current is None:  # released and removed meanwhile: try again right away
            return me if not self._put(me, IfNoneMatch="*") else None
        holder, age, etag = current
        if _live(holder, age, stale_seconds):
            return holder
        if self._put(me, IfMatch=etag):
            return None
        current = self._current()  # another writer won the takeover
        return current[0] if current and current[0] else me

    def renew(self, me: Holder) -> bool:
        return self._etag is not None and self._put(me, IfMatch=self._etag)

    def release(self, me: Holder) -> None:
        if self._etag is not None:
            self._put(replace(me, released=True), IfMatch=self._etag)
            self._etag = None


def lease_uri(root: str) -> str:
    """Where the lease of the lakehouse at ``root`` lives."""
    if is_s3(root):
        bucket, prefix = split_s3(root)
        return f"s3://{bucket}/{prefix}/{LEASE_NAME}" if prefix else f"s3://{bucket}/{LEASE_NAME}"
    return str(Path(root.removeprefix("file://")) / LEASE_NAME)


def lease_store(settings: Settings) -> LeaseStore:
    root = settings.storage.root
    if is_s3(root):
        return S3LeaseStore(root, settings)
    if is_local(root):
        return LocalLeaseStore(root)
    raise ConfigError(
        f"[storage] root {root}: the writer lease supports local folders and s3a:// roots only"
    )


class Lease:
    """A held lease: renewed by a daemon thread until :meth:`release`."""

    def __init__(self, store: LeaseStore, holder: Holder, conf: LeaseSettings) -> None:
        self.store = store
        self.holder = holder
        self.conf = conf
        self.depth = 1
        self.lost_at: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._heartbeat, name=f"writer-lease-{holder.run_id}", daemon=True
        )
        self._thread.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.conf.heartbeat_seconds):
            try:
                if not self.store.renew(self.holder):
                    self.lost_at = datetime.now(UTC).isoformat(timespec="seconds")
                    log.error("writer lease %s was taken over: stop writing", self.store.uri)
                    return
            except Exception as exc:  # a blip: keep trying until the lease goes stale
                log.warning("cannot renew the writer lease %s: %s", self.store.uri, exc)

    def check(self) -> None:
        """Raise LeaseLost when another writer took the lease over."""
        if self.lost_at is not None:
            raise LeaseLost(
                f"{self.holder.describe()} lost the writer lease {self.store.uri} at "
                f"{self.lost_at} (its heartbeats stopped for over {self.conf.stale_seconds:.0f}s "
                "and another writer took over): re-run the day once that writer is done"
            )

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=max(5.0, self.conf.heartbeat_seconds * 2))
        if self.lost_at is None:
            self.store.release(self.holder)


_HELD: dict[str, Lease] = {}
_HELD_LOCK = threading.RLock()


def _held_message(store: LeaseStore, holder: Holder, conf: LeaseSettings, waited: float) -> str:
    return (
        f"the lakehouse is being written by {holder.describe()} (lease {store.uri}); waited "
        f"{waited:.0f}s ([lease] wait_seconds, LAKEHOUSE__LEASE__WAIT_SECONDS): let that run "
        f"finish and try again; if its process is gone the lease expires "
        f"{conf.stale_seconds:.0f}s after its last heartbeat"
    )


def acquire(
    store: LeaseStore, run_id: str, conf: LeaseSettings, progress: Progress | None = None
) -> Lease:
    """Take the lease, waiting up to ``conf.wait_seconds`` for another holder."""
    me = Holder.me(run_id)
    start = time.monotonic()
    reported: float | None = None
    poll = min(1.0, max(0.05, conf.heartbeat_seconds / 2))
    while True:
        holder = store.try_take(me, conf.stale_seconds)
        if holder is None:
            return Lease(store, me, conf)
        waited = time.monotonic() - start
        if waited >= conf.wait_seconds:
            raise LeaseHeld(_held_message(store, holder, conf, waited))
        if progress is not None and (
            reported is None or time.monotonic() - reported >= WAIT_REPORT_SECONDS
        ):
            reported = time.monotonic()
            progress(
                f"waiting for the writer lease held by {holder.describe()} "
                f"({waited:.0f}s of up to {conf.wait_seconds:.0f}s)"
            )
        time.sleep(min(poll, max(0.0, conf.wait_seconds - waited)))


@contextlib.contextmanager
def writer_lease(
    settings: Settings, run_id: str, progress: Progress | None = None
) -> Iterator[Lease]:
    """Hold the lakehouse's writer lease for the block (re-entrant within a process)."""
    key = lease_uri(settings.storage.root)
    with _HELD_LOCK:
        lease = _HELD.get(key)
        if lease is not None:
            lease.check()
            lease.depth += 1
        else:
            lease = acquire(lease_store(settings), run_id, settings.lease, progress)
            _HELD[key] = lease
    failed = False
    try:
        yield lease
    except BaseException:
        failed = True
        raise
    finally:
        with _HELD_LOCK:
            lease.depth -= 1
            if lease.depth == 0:
                del _HELD[key]
                lease.release()
        if not failed:
            lease.check()


def fence(settings: Settings) -> None:
    """Raise LeaseLost when this process held the lakehouse's lease and another writer
    took it over: called before every commit, so a stalled holder stops at its next
    write instead of at the next step boundary."""
    with _HELD_LOCK:
        lease = _HELD.get(lease_uri(settings.storage.root))
    if lease is not None:
        lease.check()


def held(settings: Settings) -> bool:
    """Whether this process holds the writer lease of ``settings``' lakehouse."""
    with _HELD_LOCK:
        return lease_uri(settings.storage.root) in _HELD
