"""Shared gold helpers: aging buckets and run columns (states live in lakehouse.constants)."""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StringType, StructField, TimestampType

from lakehouse.constants import OPEN_STATES as OPEN_STATES  # gold.reconcile imports it here
from lakehouse.io import RunContext

STEP = "reconcile"  # the step name every gold commit records

RUN_FIELDS = [
    StructField("_as_of", DateType(), True),
    StructField("_run_id", StringType(), True),
    StructField("_updated_at", TimestampType(), True),
]


def aging_bucket(age_days: Column, buckets: tuple[tuple[str, int, int | None], ...]) -> Column:
    """The label of the configured bucket that holds ``age_days`` (NULL for NULL)."""
    result: Column = F.lit(None).cast("string")
    for label, low, high in reversed(buckets):
        test = age_days >= low if high is None else age_days.between(low, high)
        result = F.when(test, F.lit(label)).otherwise(result)
    return result


def with_run_columns(df: DataFrame, ctx: RunContext) -> DataFrame:
    """The run bookkeeping columns (``RUN_FIELDS``): which run wrote the row, for which day."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return df.withColumns(
        {"_as_of": F.lit(ctx.as_of), "_run_id": F.lit(ctx.run_id), "_updated_at": F.lit(now)}
    )
