"""gold.daily_summary: per as-of date and leg, how much reconciles.

Grain: (as_of_date, leg). Counts and absolute amounts per state over the items the
run looked at (its window) plus every still-open older item; ``match_rate`` is
matched items / all items.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, DoubleType, LongType, StringType, StructField, StructType

from lakehouse.constants import STATES
from lakehouse.gold.common import RUN_FIELDS, STEP, with_run_columns
from lakehouse.io import RunContext, TableSpec, merge
from lakehouse.silver.common import MONEY

_STATE_FIELDS = [
    field
    for state in STATES
    for field in (
        StructField(f"{state.lower()}_items", LongType(), True),
        StructField(f"{state.lower()}_amount", MONEY, True),
    )
]

SCHEMA = StructType(
    [
        StructField("as_of_date", DateType(), False),
        StructField("leg", StringType(), False),
        StructField("items", LongType(), True),
        *_STATE_FIELDS,
        StructField("match_rate", DoubleType(), True),
        *RUN_FIELDS,
    ]
)

SPEC = TableSpec(
    layer="gold",
    name="daily_summary",
    schema=SCHEMA,
    keys=("as_of_date", "leg"),
    description="Per as-of date and leg: items and amounts by state, and the match rate.",
)


def transform(recon_items: DataFrame, as_of: date) -> DataFrame:
    aggregates = [F.count(F.lit(1)).alias("items")]
    for state in STATES:
        is_state = F.col("state") == state
        aggregates += [
            F.sum(is_state.cast("long")).alias(f"{state.lower()}_items"),
            F.coalesce(F.sum(F.when(is_state, F.abs("amount"))), F.lit(0))
            .cast(MONEY)
            .alias(f"{state.lower()}_amount"),
        ]
    summary = recon_items.groupBy(F.lit(as_of).alias("as_of_date"), "leg").agg(*aggregates)
    return summary.withColumn(
        "match_rate", F.round(F.col("matched_items") / F.col("items"), 6).cast("double")
    )


def write(rows: DataFrame, ctx: RunContext) -> None:
    """Replace the run's own as-of date; other dates' snapshots stay as they were."""
    scope = F.col("t.as_of_date") == F.lit(ctx.as_of)
    merge(with_run_columns(rows, ctx), ctx.settings, SPEC, ctx, step=STEP, delete_scope=scope)
