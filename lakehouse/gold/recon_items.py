"""gold.recon_items: the reconciliation state of every item of every leg.

Grain: one row per (leg, item_id). ``state`` is MATCHED, PARTIAL, PENDING, EXCEPTION
or WRITTEN_OFF; open items carry their age in days as of the run and its bucket.
Written with MERGE: a re-run of the same day updates nothing.

Partitioned by ``_closed_as_of``, the as-of date of the run that wrote the item in a
closed state (null while it is open), then by ``leg``. Open items are re-aged every
day; kept apart, only their partition and the day's closures are rewritten, not every
file of the history. A return reopens items of earlier days: split by leg, it rewrites
that day's files of its own leg only, not the partner leg's far larger ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, IntegerType, StringType, StructField, StructType

from lakehouse.constants import OPEN_STATES
from lakehouse.gold.common import RUN_FIELDS, STEP, aging_bucket, with_run_columns
from lakehouse.io import RunContext, TableSpec, conform, merge
from lakehouse.silver.common import MONEY

SCHEMA = StructType(
    [
        StructField("leg", StringType(), False),
        StructField("item_id", StringType(), False),
        StructField("side", StringType(), True),
        StructField("source", StringType(), True),
        StructField("partner", StringType(), True),
        StructField("item_ref", StringType(), True),
        StructField("business_date", DateType(), True),
        StructField("amount", MONEY, True),
        StructField("currency", StringType(), True),
        StructField("reference", StringType(), True),
        StructField("state", StringType(), True),
        StructField("reason_code", StringType(), True),
        StructField("match_id", StringType(), True),
        StructField("rule", StringType(), True),
        StructField("age_days", IntegerType(), True),
        StructField("aging_bucket", StringType(), True),
        *RUN_FIELDS,
        StructField("_closed_as_of", DateType(), True),
    ]
)

_OPEN = ", ".join(f"'{state}'" for state in OPEN_STATES)

SPEC = TableSpec(
    layer="gold",
    name="recon_items",
    schema=SCHEMA,
    keys=("leg", "item_id"),
    partition_by=("_closed_as_of", "leg"),
    description="One row per (leg, item_id): state, reason, match, age and bucket.",
    # tables written before the partitioning: a closed item closed on its last write
    backfill=(("_closed_as_of", f"CASE WHEN state IN ({_OPEN}) THEN NULL ELSE _as_of END"),),
)


def with_age(
    items: DataFrame, as_of: date, buckets: tuple[tuple[str, int, int | None], ...]
) -> DataFrame:
    """Age in days since the business date, for open items only."""
    age = F.datediff(F.lit(as_of), F.col("business_date"))
    is_open = F.col("state").isin(*OPEN_STATES)
    return items.withColumn("age_days", F.when(is_open, age).cast("int")).withColumn(
        "aging_bucket", F.when(is_open, aging_bucket(age, buckets))
    )


def with_closed_as_of(items: DataFrame, as_of: date) -> DataFrame:
    """``_closed_as_of``: the run's date for an item in a closed state, null for an open one."""
    return items.withColumn(
        "_closed_as_of", F.when(~F.col("state").isin(*OPEN_STATES), F.lit(as_of))
    )


def is_open() -> Column:
    """Open items, by their partition (reads only the open items' files)."""
    return F.col("_closed_as_of").isNull()


def write(frames: Sequence[DataFrame], ctx: RunContext) -> None:
    """MERGE item states (each frame in item shape with its state and age): each row
    lands in its ``_closed_as_of`` partition; a re-run of the day updates nothing."""
    source = reduce(
        DataFrame.unionByName,
        [conform(with_run_columns(with_closed_as_of(df, ctx.as_of), ctx), SCHEMA) for df in frames],
    )
    merge(source, ctx.settings, SPEC, ctx, step=STEP)
