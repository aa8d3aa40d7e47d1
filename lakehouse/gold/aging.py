"""gold.aging: open items by age bucket, one snapshot per as-of date.

Grain: (as_of_date, leg, partner, currency, state, aging_bucket) with the item count
and the signed and absolute amounts. Each run replaces its own as-of date only.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, LongType, StringType, StructField, StructType

from lakehouse.constants import OPEN_STATES
from lakehouse.gold.common import RUN_FIELDS, STEP, with_run_columns
from lakehouse.io import RunContext, TableSpec, merge
from lakehouse.silver.common import MONEY

SCHEMA = StructType(
    [
        StructField("as_of_date", DateType(), False),
        StructField("leg", StringType(), False),
        StructField("partner", StringType(), False),
        StructField("currency", StringType(), False),
        StructField("state", StringType(), False),
        StructField("aging_bucket", StringType(), False),
        StructField("item_count", LongType(), True),
        StructField("amount", MONEY, True),
        StructField("absolute_amount", MONEY, True),
        *RUN_FIELDS,
    ]
)

SPEC = TableSpec(
    layer="gold",
    name="aging",
    schema=SCHEMA,
    keys=("as_of_date", "leg", "partner", "currency", "state", "aging_bucket"),
    partition_by=(),
    description="Open items per as-of date, leg, partner, currency, state and age bucket.",
)


def transform(recon_items: DataFrame, as_of: date) -> DataFrame:
    open_items = recon_items.where(F.col("state").isin(*OPEN_STATES))
    return open_items.groupBy(
        F.lit(as_of).alias("as_of_date"),
        "leg",
        F.coalesce("partner", F.lit("-")).alias("partner"),
        F.coalesce("currency", F.lit("-")).alias("currency"),
        "state",
        F.coalesce("aging_bucket", F.lit("-")).alias("aging_bucket"),
    ).agg(
        F.count(F.lit(1)).alias("item_count"),
        F.sum("amount").cast(MONEY).alias("amount"),
        F.sum(F.abs("amount")).cast(MONEY).alias("absolute_amount"),
    )


def write(rows: DataFrame, ctx: RunContext) -> None:
    """Replace the run's own as-of date; other dates' snapshots stay as they were."""
    scope = F.col("t.as_of_date") == F.lit(ctx.as_of)
    merge(with_run_columns(rows, ctx), ctx.settings, SPEC, ctx, step=STEP, delete_scope=scope)
