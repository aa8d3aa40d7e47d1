"""Flow: table maintenance (OPTIMIZE + VACUUM) that keeps the audit window reachable.

For every Delta table under ``<root>/bronze|silver|gold/`` the flow

1. makes sure ``delta.logRetentionDuration`` and ``delta.deletedFileRetentionDuration``
   cover at least the audit window (``Settings.audit_window_days``: ``[maintenance]
   audit_window_days`` in ``conf/lakehouse.toml``, env
   ``LAKEHOUSE__MAINTENANCE__AUDIT_WINDOW_DAYS``),
   so time travel to any version of the last N days keeps working;
2. compacts small files (``OPTIMIZE``);
3. removes data files that are no longer referenced and older than the window
   (``VACUUM ... RETAIN N*24 HOURS``).

Each table is one task tagged ``writer:<layer>`` (the same tag concurrency limits as
the pipeline's writers) that retries only on :class:`lakehouse.errors.WriteConflict`.
The flow and each task hold the lakehouse's writer lease (:mod:`lakehouse.lease`), so
maintenance never runs while a pipeline run writes, whatever started either.
Maintenance commits carry ``{"run_id", "step"}`` but no ``as_of``: they change no
business data, so "as of a business day" queries keep ignoring them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from delta.tables import DeltaTable
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from pyspark.sql import SparkSession

from flows.common import WRITE_TASK_OPTIONS, settings_and_spark
from lakehouse.errors import ConfigError, WriteConflict
from lakehouse.io import CONFLICT_EXCEPTIONS
from lakehouse.lease import writer_lease

T = TypeVar("T")

LAYERS = ("bronze", "silver", "gold")
RETENTION_PROPERTIES = ("delta.logRetentionDuration", "delta.deletedFileRetentionDuration")
_USER_METADATA_KEY = "spark.databricks.delta.commitInfo.userMetadata"
_INTERVAL = re.compile(r"^\s*(?:interval\s+)?(\d+)\s+(hour|day|week)s?\s*$", re.IGNORECASE)
_UNIT_HOURS = {"hour": 1, "day": 24, "week": 24 * 7}


def interval_hours(value: str | None) -> int | None:
    """Hours of a Delta interval such as ``"interval 30 days"`` (None if unparseable)."""
    match = _INTERVAL.match(value or "")
    if not match:
        return None
    return int(match.group(1)) * _UNIT_HOURS[match.group(2).lower()]


def retention_updates(properties: Mapping[str, str], window_days: int) -> dict[str, str]:
    """The retention properties to set so that both cover at least ``window_days``."""
    wanted = window_days * 24
    updates: dict[str, str] = {}
    for key in RETENTION_PROPERTIES:
        current = interval_hours(properties.get(key))
        if current is None or current < wanted:
            updates[key] = f"interval {window_days} days"
    return updates


def vacuum_retention_hours(properties: Mapping[str, str], window_days: int) -> int:
    """VACUUM keeps the window, or the table's own longer deleted-file retention.

    (Delta refuses a VACUUM retention below ``delta.deletedFileRetentionDuration``.)
    """
    own = interval_hours(properties.get("delta.deletedFileRetentionDuration")) or 0
    return max(window_days * 24, own)


def _is_conflict(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}"
    return any(marker in text for marker in CONFLICT_EXCEPTIONS)


def _typed_conflicts(action: Callable[[], T], what: str) -> T:
    """Run ``action``; a Delta concurrent-write conflict becomes a WriteConflict."""
    try:
        return action()
    except Exception as exc:
        if _is_conflict(exc):
            raise WriteConflict(f"{what}: concurrent Delta commit: {exc}") from exc
        raise


@contextmanager
def _commit_metadata(spark: SparkSession, metadata: str) -> Iterator[None]:
    spark.conf.set(_USER_METADATA_KEY, metadata)
    try:
        yield
    finally:
        spark.conf.unset(_USER_METADATA_KEY)


def discover_tables(spark: SparkSession, root: str) -> list[tuple[str, str, str]]:
    """``(layer, name, path)`` of every Delta table under ``<root>/<layer>/``.

    Lists through Hadoop's FileSystem so that local folders and ``s3a://`` both work.
    """
    jvm: Any = spark.sparkContext._jvm
    hadoop_conf: Any = spark.sparkContext._jsc.hadoopConfiguration()
    found: list[tuple[str, str, str]] = []
    for layer in LAYERS:
        layer_path = f"{root.rstrip('/')}/{layer}"
        jpath = jvm.org.apache.hadoop.fs.Path(layer_path)
        fs = jpath.getFileSystem(hadoop_conf)
        if not fs.exists(jpath):
            continue
        for status in sorted(fs.listStatus(jpath), key=lambda s: str(s.getPath().getName())):
            if not status.isDirectory():
                continue
            name = str(status.getPath().getName())
            path = f"{layer_path}/{name}"
            if fs.exists(jvm.org.apache.hadoop.fs.Path(f"{path}/_delta_log")):
                found.append((layer, name, path))
    return found


def _last_metric(table: DeltaTable, operation: str, metric: str) -> int | None:
    rows = table.history(5).where(f"operation = '{operation}'").limit(1).collect()
    if not rows or not rows[0]["operationMetrics"]:
        return None
    value = rows[0]["operationMetrics"].get(metric)
    return int(value) if value is not None else None


@task(name="maintain-table", **WRITE_TASK_OPTIONS)
def maintain_table(
    layer: str, name: str, path: str, window_days: int, run_id: str
) -> dict[str, Any]:
    """Retention properties, OPTIMIZE and VACUUM for one table."""
    settings, spark = settings_and_spark()
    logger = get_run_logger()
    with writer_lease(settings, run_id, logger.info):
        return _maintain(spark, layer, name, path, window_days, run_id, logger)


def _maintain(
    spark: SparkSession,
    layer: str,
    name: str,
    path: str,
    window_days: int,
    run_id: str,
    logger: Any,
) -> dict[str, Any]:
    qualified = f"{layer}.{name}"
    table = DeltaTable.forPath(spark, path)
    metadata = json.dumps({"run_id": run_id, "step": f"maintenance.{qualified}"}, sort_keys=True)

    detail = table.detail().select("properties").collect()
    properties: Mapping[str, str] = (detail[0]["properties"] or {}) if detail else {}
    updates = retention_updates(properties, window_days)
    with _commit_metadata(spark, metadata):
        if updates:
            assignments = ", ".join(f"'{k}' = '{v}'" for k, v in sorted(updates.items()))
            _typed_conflicts(
                lambda: spark.sql(
                    f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ({assignments})"
                ).collect(),
                f"{qualified}: set retention",
            )
        optimized = _typed_conflicts(
            lambda: table.optimize().executeCompaction().collect(), f"{qualified}: OPTIMIZE"
        )
        retention_hours = float(vacuum_retention_hours({**properties, **updates}, window_days))
        _typed_conflicts(lambda: table.vacuum(retention_hours), f"{qualified}: VACUUM")

    metrics = optimized[0]["metrics"] if optimized else None
    summary = {
        "table": qualified,
        "retention_hours": int(retention_hours),
        "properties_set": sorted(updates),
        "files_added": int(metrics["numFilesAdded"]) if metrics else 0,
        "files_removed": int(metrics["numFilesRemoved"]) if metrics else 0,
        "files_vacuumed": _last_metric(table, "VACUUM END", "numDeletedFiles"),
    }
    logger.info("%s: %s", qualified, summary)
    return summary


@flow(name="maintenance")
def maintenance(audit_window_days: int | None = None) -> list[dict[str, Any]]:
    """OPTIMIZE + VACUUM every table, keeping ``audit_window_days`` of time travel."""
    # a bad parameter fails before Spark starts; the setting is validated when loaded
    if audit_window_days and audit_window_days < 1:
        raise ConfigError(f"audit_window_days must be >= 1, got {audit_window_days}")
    settings, spark = settings_and_spark()
    window = audit_window_days or settings.audit_window_days
    run_id = f"maintenance-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    with writer_lease(settings, run_id, get_run_logger().info):
        summary = [
            maintain_table.with_options(
                tags=[f"writer:{layer}"], task_run_name=f"maintain-{layer}.{name}"
            )(layer, name, path, window, run_id)
            for layer, name, path in discover_tables(spark, settings.storage.root)
        ]
    create_table_artifact(
        [{**row, "properties_set": ", ".join(row["properties_set"])} for row in summary],
        key="maintenance-summary",
        description=f"OPTIMIZE + VACUUM, retention {window} days ({window * 24} hours)",
    )
    return summary
