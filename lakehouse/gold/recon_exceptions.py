"""gold.recon_exceptions: the open breaks finance must work, as of the last run.

Grain: one row per (leg, item_id) whose state is EXCEPTION or PARTIAL, with its
reason code, amount and age. Items that stop being breaks are removed.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, IntegerType, StringType, StructField, StructType

from lakehouse.constants import BREAK_STATES
from lakehouse.gold.common import RUN_FIELDS, STEP, with_run_columns
from lakehouse.io import RunContext, TableSpec, merge
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
        StructField("age_days", IntegerType(), True),
        StructField("aging_bucket", StringType(), True),
        *RUN_FIELDS,
    ]
)

SPEC = TableSpec(
    layer="gold",
    name="recon_exceptions",
    schema=SCHEMA,
    keys=("leg", "item_id"),
    description="One row per open break (EXCEPTION or PARTIAL item) with reason and age.",
)


def transform(recon_items: DataFrame) -> DataFrame:
    return recon_items.where(F.col("state").isin(*BREAK_STATES))


def write(breaks: DataFrame, ctx: RunContext) -> None:
    """The table is the run's answer whole: breaks no longer open are deleted."""
    merge(
        with_run_columns(breaks, ctx), ctx.settings, SPEC, ctx, step=STEP, delete_scope=F.lit(True)
    )
