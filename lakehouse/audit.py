"""Time travel over gold: a table as it was at a Delta version or a business day.

Every gold commit records ``{"run_id", "as_of"}`` in its commit info, so "the
exceptions when the books closed on D" is the latest version whose as-of date is
on or before D.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.io import history, is_delta_table


def table_location(settings: Settings, qualified: str) -> str:
    """``gold.recon_items`` -> its path; a bare name means gold."""
    layer, _, name = qualified.rpartition(".")
    layer = layer or "gold"
    if layer not in ("bronze", "silver", "gold"):
        raise LakehouseError(f"table {qualified!r}: layer must be bronze, silver or gold")
    return settings.storage.table_path(layer, name)


def version_as_of(spark: SparkSession, path: str, as_of: date) -> int | None:
    """The latest version committed by a run whose as-of date is <= ``as_of``."""
    rows = (
        history(spark, path)
        .where(F.col("as_of").isNotNull() & (F.col("as_of") <= F.lit(as_of.isoformat())))
        .agg(F.max("version").alias("v"))
        .collect()
    )
    value = rows[0]["v"] if rows else None
    return int(value) if value is not None else None


def read_as_of(
    spark: SparkSession,
    settings: Settings,
    table: str,
    as_of: date | None = None,
    version: int | None = None,
) -> DataFrame:
    path = table_location(settings, table)
    if not is_delta_table(spark, path):
        raise LakehouseError(f"table {table} does not exist at {path}; run the pipeline first")
    if as_of is not None:
        version = version_as_of(spark, path, as_of)
        if version is None:
            raise LakehouseError(f"{table} has no commit with an as-of date on or before {as_of}")
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(path)
