"""The refine step: bronze -> silver for business day D.

Reads the bronze rows that arrived in ``[D - lookback, D]`` (partition pruned) and
were ingested after the table's watermark in ``silver/_refine_state`` (file skipping
on ``_ingested_at``), so each bronze row is refined once and the cost follows the
day's arrivals, not the lookback. It types them with each table's pure transform,
checks expectations (quarantining dropped rows with their rule names and recording
per-run counts in ``silver/_quality_metrics``), keeps the latest ingestion per
natural key and MERGEs (an older ingestion never overwrites a newer one). A re-run of
the same day finds nothing new and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    DateType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lakehouse.bronze.tables import feed_table
from lakehouse.config import FeedSettings
from lakehouse.feed_formats import BANK, DECISIONS, LEDGER, PARTNER
from lakehouse.io import (
    RunContext,
    TableSpec,
    changed_condition,
    ensure_table,
    is_delta_table,
    merge,
    read,
    table_path,
)
from lakehouse.secrets import masking_key
from lakehouse.silver import (
    bank_balances,
    bank_transactions,
    ledger_entries,
    manual_decisions,
    partner_settlements,
)
from lakehouse.silver.common import lineage_fields
from lakehouse.silver.expectations import Expectation, apply_expectations

log = logging.getLogger(__name__)

PARALLEL_TABLES = 3

QUALITY_METRICS = TableSpec(
    layer="silver",
    name="_quality_metrics",
    schema=StructType(
        [
            StructField("as_of", DateType(), False),
            StructField("table", StringType(), False),
            StructField("rule", StringType(), False),
            StructField("action", StringType(), False),
            StructField("failed_rows", LongType(), False),
            StructField("total_rows", LongType(), False),
            StructField("_run_id", StringType(), False),
            StructField("_recorded_at", TimestampType(), False),
        ]
    ),
    keys=("as_of", "table", "rule", "_run_id"),
    description="Per run, table and expectation: new rows checked and rows that failed.",
)

REFINE_STATE = TableSpec(
    layer="silver",
    name="_refine_state",
    schema=StructType(
        [
            StructField("table", StringType(), False),
            StructField("ingested_through", TimestampType(), False),
            StructField("as_of", DateType(), False),
            StructField("_run_id", StringType(), False),
        ]
    ),
    keys=("table",),
    description="Per silver table: the bronze _ingested_at up to which rows are refined.",
)


def quarantine_spec(table: TableSpec) -> TableSpec:
    return TableSpec(
        layer="silver",
        name=f"{table.name}_quarantine",
        schema=StructType(
            [
                StructField("record", StringType(), True),
                StructField("failed_rules", ArrayType(StringType()), False),
                *lineage_fields(),
            ]
        ),
        keys=("_file_sha256", "_row_number"),
        description=f"Rows dropped from silver.{table.name} with the rules they failed.",
    )


def latest_per_key(df: DataFrame, keys: tuple[str, ...], sequence_by: tuple[str, ...]) -> DataFrame:
    """One row per key: the one with the greatest ``sequence_by`` (latest ingestion)."""
    order = [F.col(c).desc() for c in sequence_by]
    window = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("__rank", F.row_number().over(window)).where("__rank = 1").drop("__rank")


@dataclass(frozen=True)
class SilverTable:
    spec: TableSpec
    expectations: list[Expectation]
    family: str  # the bronze feeds it refines: every feed whose format is of this family
    build: Callable[[list[tuple[FeedSettings, DataFrame]], str], DataFrame]


def _union(frames: list[DataFrame]) -> DataFrame:
    return reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)


def _ledger(frames: list[tuple[FeedSettings, DataFrame]], _key: str) -> DataFrame:
    return _union([ledger_entries.transform(df, feed.timezone) for feed, df in frames])


def _partners(frames: list[tuple[FeedSettings, DataFrame]], _key: str) -> DataFrame:
    return _union(
        [
            partner_settlements.transform(df, feed.partner or feed.name, feed.timezone)
            for feed, df in frames
        ]
    )


def _bank(frames: list[tuple[FeedSettings, DataFrame]], key: str) -> DataFrame:
    return _union([bank_transactions.transform(df, key) for _, df in frames])


def _balances(frames: list[tuple[FeedSettings, DataFrame]], key: str) -> DataFrame:
    return _union([bank_balances.transform(df, key) for _, df in frames])


def _decisions(frames: list[tuple[FeedSettings, DataFrame]], _key: str) -> DataFrame:
    return _union([manual_decisions.transform(df) for _, df in frames])


SILVER_TABLES: tuple[SilverTable, ...] = (
    SilverTable(ledger_entries.SPEC, ledger_entries.EXPECTATIONS, LEDGER, _ledger),
    SilverTable(partner_settlements.SPEC, partner_settlements.EXPECTATIONS, PARTNER, _partners),
    SilverTable(bank_transactions.SPEC, bank_transactions.EXPECTATIONS, BANK, _bank),
    SilverTable(bank_balances.SPEC, bank_balances.EXPECTATIONS, BANK, _balances),
    SilverTable(manual_decisions.SPEC, manual_decisions.EXPECTATIONS, DECISIONS, _decisions),
)


def _bronze_window(
    spark: SparkSession, ctx: RunContext, family: str
) -> list[tuple[FeedSettings, DataFrame]]:
    settings = ctx.settings
    low = ctx.as_of - timedelta(days=settings.refine_lookback_days)
    frames = []
    for feed in settings.feeds.values():
        if feed.family != family:
            continue
        spec = feed_table(feed)
        if not is_delta_table(spark, table_path(settings, spec)):
            continue  # nothing ever landed for this feed
        df = read(spark, settings, spec)
        window = (F.col("_arrival_date") >= F.lit(low)) & (
            F.col("_arrival_date") <= F.lit(ctx.as_of)
        )
        frames.append((feed, df.where(window)))
    return frames


def _watermark(spark: SparkSession, ctx: RunContext, table: str) -> datetime | None:
    rows = (
        read(spark, ctx.settings, REFINE_STATE)
        .where(F.col("table") == table)
        .select("ingested_through")
        .collect()
    )
    return rows[0].ingested_through if rows else None


def _new_rows(
    frames: list[tuple[FeedSettings, DataFrame]], after: datetime | None
) -> tuple[list[tuple[FeedSettings, DataFrame]], datetime | None]:
    """The rows ingested after ``after``, up to the newest one there is now."""
    if after is not None:
        frames = [(feed, df.where(F.col("_ingested_at") > F.lit(after))) for feed, df in frames]
    newest = [df.agg(F.max("_ingested_at")).first() for _, df in frames]
    through = max((row[0] for row in newest if row and row[0] is not None), default=None)
    if through is None:
        return [], None
    bounded = [(feed, df.where(F.col("_ingested_at") <= F.lit(through))) for feed, df in frames]
    return bounded, through


def _record_watermarks(
    spark: SparkSession, ctx: RunContext, watermarks: list[tuple[str, datetime]]
) -> None:
    rows = [(table, through, ctx.as_of, ctx.run_id) for table, through in watermarks]
    merge(
        spark.createDataFrame(rows, REFINE_STATE.schema),
        ctx.settings,
        REFINE_STATE,
        ctx,
        step="refine",
        update_when="s.ingested_through > t.ingested_through",
    )


def quality_rows(
    ctx: RunContext, table: SilverTable, counts: dict[str, int], total: int
) -> list[tuple[object, ...]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        (ctx.as_of, table.spec.name, e.name, e.action, counts[e.name], total, ctx.run_id, now)
        for e in table.expectations
    ]


def _record_quality(spark: SparkSession, ctx: RunContext, rows: list[tuple[object, ...]]) -> None:
    df = spark.createDataFrame(rows, QUALITY_METRICS.schema)
    merge(
        df,
        ctx.settings,
        QUALITY_METRICS,
        ctx,
        step="refine",
        update_when="t.failed_rows <> s.failed_rows OR t.total_rows <> s.total_rows",
    )


def _quarantine(ctx: RunContext, table: SilverTable, bad: DataFrame) -> None:
    qspec = quarantine_spec(table.spec)
    lineage = [f.name for f in lineage_fields()]
    business = [c for c in bad.columns if not c.startswith("_")]
    out = bad.select(
        F.to_json(F.struct(*business)).alias("record"),
        F.col("_failed_rules").alias("failed_rules"),
        *lineage,
    )
    merge(out, ctx.settings, qspec, ctx, step="refine", update_when="false")


def key_bounds(rows: DataFrame, key: str) -> tuple[object, object] | None:
    """The least and greatest ``key`` of ``rows`` (None when there is none): the MERGE
    skips every silver file whose keys lie outside, instead of joining with all of
    history (``rows`` is the cached evaluation, so this is one cheap pass)."""
    low, high = rows.agg(F.min(key), F.max(key)).first() or (None, None)
    return None if low is None else (low, high)


@dataclass(frozen=True)
class RefineOutcome:
    rows: int
    quarantined: int
    quality: list[tuple[object, ...]]
    ingested_through: datetime | None = None  # the table's new watermark


def refine_table(spark: SparkSession, ctx: RunContext, table: SilverTable) -> RefineOutcome:
    """Refine one silver table for ``ctx.as_of`` (quality rows are returned, not written)."""
    frames, through = _new_rows(
        _bronze_window(spark, ctx, table.family), _watermark(spark, ctx, table.spec.name)
    )
    if through is None:
        return RefineOutcome(0, 0, [])  # nothing ingested since the last refine
    typed = table.build(frames, masking_key())
    result = apply_expectations(typed, table.spec.name, table.expectations)
    try:
        spec = table.spec
        latest = latest_per_key(result.valid, spec.keys, spec.sequence_by)
        if spec.name == bank_balances.SPEC.name:
            latest = _with_history_continuity(spark, ctx, latest)
        newer = " OR ".join(f"s.`{c}` > t.`{c}`" for c in spec.sequence_by)
        changed = changed_condition(spec)
        merge(
            latest,
            ctx.settings,
            spec,
            ctx,
            step="refine",
            update_when=f"({newer}) AND ({changed})",
            key_bounds=key_bounds(result.valid, spec.keys[0]),
        )
        dropped = any(
            result.failed_counts[e.name] for e in table.expectations if e.action == "drop"
        )
        quarantined = result.quarantined.count() if dropped else 0
        if quarantined:
            _quarantine(ctx, table, result.quarantined)
        quality = quality_rows(ctx, table, result.failed_counts, result.total_rows)
        return RefineOutcome(result.total_rows - quarantined, quarantined, quality, through)
    finally:
        result.release()


def _with_history_continuity(spark: SparkSession, ctx: RunContext, new: DataFrame) -> DataFrame:
    """Continuity needs the previous statement, which may be in silver already."""
    existing = read(spark, ctx.settings, bank_balances.SPEC)
    accounts = new.select("account_key").distinct()
    history = existing.join(accounts, "account_key").join(
        new.select("account_key", "date"), ["account_key", "date"], "left_anti"
    )
    combined = bank_balances.with_continuity(history.unionByName(new))
    return combined.join(new.select("account_key", "date"), ["account_key", "date"], "left_semi")


def refine(
    spark: SparkSession,
    ctx: RunContext,
    tables: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, int]]:
    """Refine every silver table (or the named ones) for ``ctx.as_of``."""
    report: dict[str, dict[str, int]] = {}
    quality: list[tuple[object, ...]] = []
    watermarks: list[tuple[str, datetime]] = []
    chosen = [t for t in SILVER_TABLES if not tables or t.spec.name in tables]
    for table in chosen:
        # every silver table exists from the first run on, even before its feed lands
        ensure_table(spark, ctx.settings, table.spec)
        ensure_table(spark, ctx.settings, quarantine_spec(table.spec))
    ensure_table(spark, ctx.settings, REFINE_STATE)
    # The tables are independent and small jobs leave cores idle: refine them side by side.
    with ThreadPoolExecutor(max_workers=PARALLEL_TABLES) as pool:
        outcomes = pool.map(lambda t: (t, refine_table(spark, ctx, t)), chosen)
        for table, outcome in outcomes:
            report[table.spec.name] = {"rows": outcome.rows, "quarantined": outcome.quarantined}
            quality += outcome.quality
            if outcome.ingested_through is not None:
                watermarks.append((table.spec.name, outcome.ingested_through))
            if progress:
                progress(
                    f"silver.{table.spec.name}: {outcome.rows} rows, "
                    f"{outcome.quarantined} quarantined"
                )
    if quality:
        _record_quality(spark, ctx, quality)
    # one commit for every table's watermark, after their MERGEs: a crash before it
    # only means the next run refines those rows again, which changes nothing
    if watermarks:
        _record_watermarks(spark, ctx, watermarks)
    return report
