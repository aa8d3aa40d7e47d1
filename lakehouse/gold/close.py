"""The previous close: when the run for D may start from what D - 1 left open.

Each run records, with the open items it leaves (``gold._open_items``), the refine
watermark of every silver table it read and the fingerprint of its rules. The run for
D + 1 starts from that close plus the silver rows it had not seen, unless the rules
changed, the close is past retention, or silver restated rows since.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from lakehouse.config import Settings
from lakehouse.gold import open_items
from lakehouse.gold.inputs import SILVER_KEYS
from lakehouse.io import history, is_delta_table, read, table_path
from lakehouse.silver.refine import REFINE_STATE

HISTORY_LIMIT = 100  # commits read from a table's history when checking a close

_ADDING_OPERATIONS = {"OPTIMIZE", "VACUUM START", "VACUUM END", "CREATE TABLE", "SET TBLPROPERTIES"}


def watermarks(spark: SparkSession, settings: Settings) -> dict[str, datetime | None]:
    """Per silver table, the bronze ``_ingested_at`` refine had reached when the run
    started: every silver row the run can see was ingested at or before it."""
    rows = read(spark, settings, REFINE_STATE).select("table", "ingested_through").collect()
    marks = {r.table: r.ingested_through for r in rows}
    return {name: marks.get(name) for name in SILVER_KEYS}


def rewrites_rows(row: Row) -> bool:
    metrics = row.operationMetrics or {}
    if row.operation == "MERGE":
        changed = ("numTargetRowsUpdated", "numTargetRowsDeleted")
        return any(int(metrics.get(m, "0") or 0) for m in changed)
    if row.operation == "WRITE":
        return (row.operationParameters or {}).get("mode") != "Append"
    return row.operation not in _ADDING_OPERATIONS


def silver_rewritten(
    spark: SparkSession, settings: Settings, close: open_items.Close
) -> str | None:
    """Why ``close`` cannot be a start because silver changed rows it had seen (a
    restated row might sit in a frozen match), or None."""
    for name, (spec, _) in SILVER_KEYS.items():
        path = table_path(settings, spec)
        if not is_delta_table(spark, path):
            continue
        rows = history(spark, path, HISTORY_LIMIT).collect()
        for row in rows:
            # a later day's refine may have run before the close was made
            later = row.as_of is not None and row.as_of > close.as_of.isoformat()
            if (row.timestamp > close.closed_at or later) and rewrites_rows(row):
                return f"silver.{name} version {row.version} ({row.operation}) changed rows"
        if len(rows) == HISTORY_LIMIT and min(r.timestamp for r in rows) > close.closed_at:
            return f"silver.{name} has more than {HISTORY_LIMIT} commits since"
    return None


def previous_close(
    spark: SparkSession, settings: Settings, as_of: date, fingerprint: str
) -> tuple[open_items.Close | None, str]:
    """The close of D - 1 this run can start from, or None and why not.

    Valid when the run for D - 1 wrote its open items under the same rules and
    window, its partition was not dropped by retention, and silver only gained rows
    since (no restatement, no delete).
    """
    path = table_path(settings, open_items.SPEC)
    if not is_delta_table(spark, path):
        return None, "no close recorded yet"
    yesterday = as_of - timedelta(days=1)
    commits = (
        history(spark, path, HISTORY_LIMIT)
        .where(F.col("step") == open_items.STEP)
        .select("version", "timestamp", "as_of", "userMetadata")
        .collect()
    )
    closes = [r for r in commits if r.as_of == yesterday.isoformat()]
    if not closes:
        return None, f"no close for {yesterday}"
    newest = max(date.fromisoformat(r.as_of) for r in commits)
    if newest - timedelta(days=open_items.KEEP_DAYS) > yesterday:
        return None, f"the close of {yesterday} is past its retention"
    last = max(closes, key=lambda r: r.version)
    close = open_items.Close.from_commit(yesterday, last.timestamp, json.loads(last.userMetadata))
    if close.fingerprint != fingerprint:
        return None, "rules or window changed since the close"
    reason = silver_rewritten(spark, settings, close)
    if reason is not None:
        return None, reason
    return close, ""


def fresh(silver: dict[str, DataFrame], close: open_items.Close) -> dict[str, DataFrame]:
    """The silver window rows ``close`` had not seen: arrived after its day, or refined
    after it (ingested past its watermark)."""
    fresh = {}
    for name, df in silver.items():
        mark = close.watermarks.get(name)
        seen = F.col("_arrival_date") <= F.lit(close.as_of)
        seen = seen & (F.col("_ingested_at") <= F.lit(mark)) if mark else F.lit(False)
        fresh[name] = df.where(~F.coalesce(seen, F.lit(False)))
    return fresh
