"""Replay the reconcile step over days D1..D2 with other rules, into a scratch gold.

1. **Seed**: the scratch gold starts from the real books as of D1 - 1: the
   ``gold.recon_matches`` and ``gold.recon_items`` of that day (Delta time travel) and
   the close of D1 - 1 with its commit metadata, so D1 starts where the real run for
   D1 started (from that close when the rules are the same, from the whole window when
   they differ: the close's rules fingerprint tells).
2. **Replay**: for each day, :func:`lakehouse.gold.reconcile.reconcile` with the
   preview's rules, reading silver at exactly the versions that day's real run read
   (:func:`lakehouse.gold.close.recorded_snapshot`) and manual decisions known by that
   day, writing gold under the scratch root only (``StorageSettings.gold_root``).

Silver, bronze and the real gold are only read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from lakehouse.asof import close_version
from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.gold import open_items, recon_items, recon_matches
from lakehouse.gold.books import books
from lakehouse.gold.close import recorded_snapshot, valid_closes
from lakehouse.gold.reconcile import reconcile
from lakehouse.gold.snapshot import silver_as_known_by
from lakehouse.io import RunContext, TableSpec, append, history, is_delta_table, table_path

Progress = Callable[[str], None]

SEED_STEP = "preview.seed"
SEEDED = (recon_matches.SPEC, recon_items.SPEC)  # besides the close: what the step reads
HISTORY_LIMIT = 1000  # commits of gold._open_items read to find the real closes


def scratch_settings(settings: Settings, scratch_root: str) -> Settings:
    """``settings`` with gold under ``scratch_root`` (silver and bronze stay where they are)."""
    return replace(settings, storage=replace(settings.storage, gold_root=scratch_root))


@dataclass(frozen=True)
class DayRun:
    as_of: date
    seconds: float
    recorded: bool  # silver read at the versions the real run recorded
    legs: dict[str, dict[str, int]]


def _closes(spark: SparkSession, settings: Settings) -> dict[str, Row]:
    path = table_path(settings, open_items.SPEC)
    if not is_delta_table(spark, path):
        return {}
    rows = history(spark, path, HISTORY_LIMIT).where(F.col("step").isNotNull()).collect()
    return dict(valid_closes(rows))


def check_days(spark: SparkSession, settings: Settings, days: list[date]) -> None:
    """Every day must have been reconciled in the real gold (its books hold that day)."""
    where = books(spark, settings)
    closes = _closes(spark, settings)
    missing = [d for d in days if d.isoformat() not in closes]
    if where.current is None:
        raise LakehouseError(
            f"gold under {settings.storage.root} has no reconciled day yet; run "
            "`lakehouse run --date D` (or backfill) before previewing rules over D"
        )
    if missing:
        raise LakehouseError(
            f"gold's books hold no reconcile run for {', '.join(map(str, missing))} (they run "
            f"to {where.current}); preview only days gold has reconciled"
        )


def _conformed(df: DataFrame, spec: TableSpec) -> DataFrame:
    """Rows of an older layout of the table, with the columns added since (backfilled)."""
    backfill = dict(spec.backfill)
    added = {
        f.name: F.expr(backfill[f.name]) if f.name in backfill else F.lit(None).cast(f.dataType)
        for f in spec.schema.fields
        if f.name not in df.columns
    }
    return df.withColumns(added) if added else df


def seed(
    spark: SparkSession, real: Settings, scratch: Settings, day: date, run_id: str, say: Progress
) -> None:
    """Copy the real books as of ``day`` (the day before the first preview day) into the
    scratch gold: the tables the reconcile step reads, and the close of ``day``."""
    ctx = RunContext(run_id, day, scratch)
    for spec in SEEDED:
        path = table_path(real, spec)
        if not is_delta_table(spark, path):
            continue
        commits = [(int(r.version), r.as_of) for r in history(spark, path).collect()]
        version = close_version(commits, day)
        if version is None:
            continue  # nothing as of that day: the preview starts from empty books
        rows = spark.read.format("delta").option("versionAsOf", version).load(path)
        append(_conformed(rows, spec), scratch, spec, ctx, step=SEED_STEP)
        say(f"scratch {spec.qualified_name}: the books as of {day} (version {version})")
    close = _closes(spark, real).get(day.isoformat())
    if close is None:
        return
    metadata = json.loads(close.userMetadata)
    rows = (
        spark.read.format("delta")
        .option("versionAsOf", close.version)
        .load(table_path(real, open_items.SPEC))
        .where(F.col("as_of") == F.lit(day))
    )
    extra = {k: v for k, v in metadata.items() if k not in ("run_id", "as_of", "step")}
    closing = RunContext(run_id, day, scratch, extra)
    append(rows, scratch, open_items.SPEC, closing, step=open_items.STEP)
    say(f"scratch {open_items.SPEC.qualified_name}: the close of {day}")


def replay(
    spark: SparkSession,
    settings: Settings,
    scratch_root: str,
    rules: Path,
    days: list[date],
    preview_id: str,
    progress: Progress | None = None,
) -> list[DayRun]:
    """Seed the scratch gold, then reconcile each of ``days`` with ``rules`` into it."""
    say: Progress = progress or (lambda _: None)
    check_days(spark, settings, days)
    scratch = scratch_settings(settings, scratch_root)
    seed(spark, settings, scratch, days[0] - timedelta(days=1), f"preview-{preview_id}", say)
    runs = []
    for i, day in enumerate(days, 1):
        say(f"preview day {i}/{len(days)}: {day}")
        start = time.perf_counter()
        known = recorded_snapshot(spark, settings, day)
        if known is None:
            say(
                f"{day}: its reconcile run recorded no silver versions; reading silver as "
                "known by that day from the tables' history"
            )
        ctx = RunContext(f"preview-{preview_id}-{day}", day, scratch, {"preview": preview_id})
        legs = reconcile(
            spark,
            ctx,
            lambda message: say(f"  {message}"),
            rules=rules,
            known=known or silver_as_known_by(spark, settings, day),
        )
        seconds = time.perf_counter() - start
        runs.append(DayRun(day, seconds, known is not None, legs))
        say(f"{day} replayed in {seconds:.1f}s")
    return runs
