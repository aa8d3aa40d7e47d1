"""Table maintenance (OPTIMIZE + VACUUM) that keeps the audit window reachable.

For every Delta table under ``<root>/bronze|silver|gold/``, :func:`maintain_table`

1. makes sure ``delta.logRetentionDuration`` and ``delta.deletedFileRetentionDuration``
   cover at least the audit window (``[maintenance] audit_window_days`` in
   ``conf/lakehouse.toml``, env ``LAKEHOUSE__MAINTENANCE__AUDIT_WINDOW_DAYS``), so
   time travel to any version of the last N days keeps working;
2. compacts small files (``OPTIMIZE``);
3. removes data files that are no longer referenced and older than the window
   (``VACUUM ... RETAIN N*24 HOURS``).

Its commits carry ``{"run_id", "step"}`` but no ``as_of``: they change no business
data, so "as of a business day" queries ignore them. Conflicts with a concurrent
writer are retried by :func:`lakehouse.io.run_command` and end as
:class:`lakehouse.errors.WriteConflict`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from lakehouse.constants import LAYERS
from lakehouse.errors import ConfigError
from lakehouse.io import commit_info, run_command

RETENTION_PROPERTIES = ("delta.logRetentionDuration", "delta.deletedFileRetentionDuration")
_INTERVAL = re.compile(r"^\s*(?:interval\s+)?(\d+)\s+(hour|day|week)s?\s*$", re.IGNORECASE)
_UNIT_HOURS = {"hour": 1, "day": 24, "week": 24 * 7}


@dataclass(frozen=True)
class StoredTable:
    """A Delta table found under the lakehouse root."""

    layer: str
    name: str
    path: str

    @property
    def qualified_name(self) -> str:
        return f"{self.layer}.{self.name}"


def audit_window(requested: int | None, configured: int) -> int:
    """The window to keep: ``requested`` (a flow parameter) or the configured one."""
    check_audit_window(requested)
    return configured if requested is None else requested


def check_audit_window(requested: int | None) -> None:
    """A bad window parameter fails here, before any Spark work."""
    if requested is not None and requested < 1:
        raise ConfigError(
            f"audit_window_days must be >= 1, got {requested}; leave it out to use "
            "[maintenance] audit_window_days of conf/lakehouse.toml"
        )


def new_run_id() -> str:
    return f"maintenance-{datetime.now(UTC):%Y%m%dT%H%M%S}"


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


def discover_tables(spark: SparkSession, root: str) -> list[StoredTable]:
    """Every Delta table under ``<root>/<layer>/``, by layer then name.

    Lists through Hadoop's FileSystem so that local folders and ``s3a://`` both work.
    """
    jvm: Any = spark.sparkContext._jvm
    hadoop_conf: Any = spark.sparkContext._jsc.hadoopConfiguration()
    found: list[StoredTable] = []
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
                found.append(StoredTable(layer, name, path))
    return found


def _last_metric(table: DeltaTable, operation: str, metric: str) -> int | None:
    rows = table.history(5).where(f"operation = '{operation}'").limit(1).collect()
    if not rows or not rows[0]["operationMetrics"]:
        return None
    value = rows[0]["operationMetrics"].get(metric)
    return int(value) if value is not None else None


def maintain_table(
    spark: SparkSession, stored: StoredTable, window_days: int, run_id: str
) -> dict[str, Any]:
    """Retention properties, OPTIMIZE and VACUUM for one table; returns a summary row."""
    table = DeltaTable.forPath(spark, stored.path)
    metadata = commit_info(run_id, f"maintenance.{stored.qualified_name}")
    detail = table.detail().select("properties").collect()
    properties: Mapping[str, str] = (detail[0]["properties"] or {}) if detail else {}
    updates = retention_updates(properties, window_days)
    if updates:
        assignments = ", ".join(f"'{k}' = '{v}'" for k, v in sorted(updates.items()))
        statement = f"ALTER TABLE delta.`{stored.path}` SET TBLPROPERTIES ({assignments})"
        run_command(
            spark,
            lambda: spark.sql(statement).collect(),
            what=f"{stored.qualified_name}: set retention",
            metadata=metadata,
        )
    optimized = run_command(
        spark,
        lambda: table.optimize().executeCompaction().collect(),
        what=f"{stored.qualified_name}: OPTIMIZE",
        metadata=metadata,
    )
    retention_hours = vacuum_retention_hours({**properties, **updates}, window_days)
    run_command(
        spark,
        lambda: table.vacuum(float(retention_hours)),
        what=f"{stored.qualified_name}: VACUUM",
        metadata=metadata,
    )
    metrics = optimized[0]["metrics"] if optimized else None
    return {
        "table": stored.qualified_name,
        "retention_hours": retention_hours,
        "properties_set": sorted(updates),
        "files_added": int(metrics["numFilesAdded"]) if metrics else 0,
        "files_removed": int(metrics["numFilesRemoved"]) if metrics else 0,
        "files_vacuumed": _last_metric(table, "VACUUM END", "numDeletedFiles"),
    }
