"""The previous close: when the run for D may start from what D - 1 left open.

Each run records, with the open items it leaves (``gold._open_items``), the silver
versions and refine watermarks it read (:mod:`lakehouse.gold.snapshot`) and the
fingerprint of its rules. The run for D + 1 starts from that close plus the silver
rows it had not seen, unless the rules changed, the close is past retention, gold was
rewound past it since it was made (:mod:`lakehouse.gold.books`), or silver restated
rows in the versions between the two runs.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from lakehouse.config import Settings
from lakehouse.gold import open_items
from lakehouse.gold.books import REWIND_STEP
from lakehouse.gold.inputs import SILVER_KEYS
from lakehouse.gold.snapshot import METADATA_KEY, SilverSnapshot
from lakehouse.io import history, is_delta_table, table_path

HISTORY_LIMIT = 100  # commits read from a table's history when checking a close

_ADDING_OPERATIONS = {"OPTIMIZE", "VACUUM START", "VACUUM END", "CREATE TABLE", "SET TBLPROPERTIES"}


def rewrites_rows(row: Row) -> bool:
    metrics = row.operationMetrics or {}
    if row.operation == "MERGE":
        changed = ("numTargetRowsUpdated", "numTargetRowsDeleted")
        return any(int(metrics.get(m, "0") or 0) for m in changed)
    if row.operation == "WRITE":
        return (row.operationParameters or {}).get("mode") != "Append"
    return row.operation not in _ADDING_OPERATIONS


def silver_rewritten(
    spark: SparkSession,
    settings: Settings,
    close: open_items.Close,
    known: SilverSnapshot | None = None,
) -> str | None:
    """Why ``close`` cannot be a start because silver changed rows it had seen (a
    restated row might sit in a frozen match), or None.

    Only the versions between those the close read and those this run reads (``known``)
    count: a later day's correction that this run does not see changes nothing for it.
    """
    for name, (spec, _) in SILVER_KEYS.items():
        path = table_path(settings, spec)
        if not is_delta_table(spark, path):
            continue
        rows = history(spark, path, HISTORY_LIMIT).collect()
        upto = known.tables[name].newest if known and name in known.tables else None
        seen = (close.versions or {}).get(name)
        for row in rows:
            if upto is not None and row.version > upto:
                continue  # not read by this run
            if close.versions is not None:
                after = row.version > (-1 if seen is None else seen)
            else:  # a close that did not record versions: by time and day
                later = row.as_of is not None and row.as_of > close.as_of.isoformat()
                after = row.timestamp > close.closed_at or later
            if after and rewrites_rows(row):
                return f"silver.{name} version {row.version} ({row.operation}) changed rows"
        if len(rows) == HISTORY_LIMIT and min(r.timestamp for r in rows) > close.closed_at:
            return f"silver.{name} has more than {HISTORY_LIMIT} commits since"
    return None


def valid_closes(rows: list[Row]) -> dict[str, Row]:
    """Per as-of day (ISO), the close commit the current books hold: a rewind to D
    drops every close of a later day made before it."""
    valid: dict[str, Row] = {}
    for row in sorted(rows, key=lambda r: r.version):
        if row.step == open_items.STEP:
            valid[row.as_of] = row
        elif row.step == REWIND_STEP:
            valid = {day: r for day, r in valid.items() if day <= row.as_of}
    return valid


def _close_of(row: Row) -> open_items.Close:
    metadata = json.loads(row.userMetadata)
    versions = None
    if METADATA_KEY in metadata:
        read = SilverSnapshot.from_metadata(metadata[METADATA_KEY])
        # The version as of the close's day, not the newest it read late rows from: a
        # row restated in a later version for a later day (a corrected file) was not
        # read, so its restatement must still make the next run start afresh.
        versions = {name: t.version for name, t in read.tables.items()}
    return open_items.Close.from_commit(
        date.fromisoformat(row.as_of), row.timestamp, metadata, versions
    )


def recorded_snapshot(
    spark: SparkSession, settings: Settings, as_of: date
) -> SilverSnapshot | None:
    """The silver snapshot the reconcile run that made the current books as of
    ``as_of`` read (from its close's commit metadata), or None when none recorded it."""
    path = table_path(settings, open_items.SPEC)
    if not is_delta_table(spark, path):
        return None
    rows = history(spark, path, HISTORY_LIMIT).where(F.col("step").isNotNull()).collect()
    row = valid_closes(rows).get(as_of.isoformat())
    if row is None:
        return None
    metadata = json.loads(row.userMetadata)
    if METADATA_KEY not in metadata:
        return None
    return SilverSnapshot.from_metadata(metadata[METADATA_KEY])


def previous_close(
    spark: SparkSession,
    settings: Settings,
    as_of: date,
    fingerprint: str,
    known: SilverSnapshot | None = None,
) -> tuple[open_items.Close | None, str]:
    """The close of D - 1 this run can start from, or None and why not.

    Valid when the run for D - 1 wrote its open items under the same rules and
    window, no rewind of gold went back past it since, its partition was not dropped
    by retention, and silver only gained rows since (no restatement, no delete) in
    the versions this run reads (``known``).
    """
    path = table_path(settings, open_items.SPEC)
    if not is_delta_table(spark, path):
        return None, "no close recorded yet"
    yesterday = as_of - timedelta(days=1)
    commits = (
        history(spark, path, HISTORY_LIMIT)
        .where(F.col("step").isin(open_items.STEP, REWIND_STEP))
        .select("version", "timestamp", "as_of", "step", "userMetadata")
        .collect()
    )
    closes = [r for r in commits if r.step == open_items.STEP]
    if not any(r.as_of == yesterday.isoformat() for r in closes):
        return None, f"no close for {yesterday}"
    last = valid_closes(commits).get(yesterday.isoformat())
    if last is None:
        return None, f"gold was rewound past the close of {yesterday} since it was made"
    newest = max(date.fromisoformat(r.as_of) for r in closes)
    if newest - timedelta(days=open_items.KEEP_DAYS) > yesterday:
        return None, f"the close of {yesterday} is past its retention"
    close = _close_of(last)
    if close.fingerprint != fingerprint:
        return None, "rules or window changed since the close"
    reason = silver_rewritten(spark, settings, close, known)
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
