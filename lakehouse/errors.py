"""Typed exceptions for the whole package.

Every message names the input, what was wrong and how to fix it. Only
:class:`WriteConflict` is retryable; everything else is a data or setup problem
that a retry cannot fix.
"""

from __future__ import annotations


class LakehouseError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(LakehouseError):
    """A configuration value is missing or invalid (names the key and how to set it)."""


class EnvironmentSetupError(LakehouseError):
    """The machine lacks something the lakehouse needs (Java, Delta jars, ...)."""


class FileRejected(LakehouseError):
    """A landed file cannot be accepted as a whole (unparseable or control totals off).

    ``reason`` is a one-line, human readable explanation stored in
    ``bronze/_rejected_files``.
    """

    def __init__(self, reason: str, *, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


class ExpectationFailed(LakehouseError):
    """A silver expectation with action ``fail`` was violated; nothing was written."""


class WriteConflict(LakehouseError):
    """A concurrent Delta commit conflicted with ours; safe to retry the step."""


class StorageError(LakehouseError):
    """The store holding the lakehouse or the landing zone cannot be used as configured."""


class StorageUnreachable(StorageError):
    """The S3 endpoint does not answer (wrong ``[s3] endpoint_url``, server down, DNS)."""


class StorageAccessDenied(StorageError):
    """The S3 server refused the credentials (missing, wrong, expired or not allowed)."""


class BucketNotFound(StorageError):
    """The bucket named by the lakehouse root or the landing zone does not exist."""


class LandingZoneError(StorageError):
    """The landing zone (local folder or S3 bucket) cannot be listed or read."""


class LeaseHeld(LakehouseError):
    """Another writer holds the lakehouse's writer lease (the message names it)."""


class LeaseLost(LakehouseError):
    """This writer's lease was taken over while it ran (it missed its heartbeats)."""


class ReconciliationError(LakehouseError):
    """Matching rules or manual decisions are inconsistent."""
