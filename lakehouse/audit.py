"""Time travel over gold: a table as it was at a Delta version or a business day.

Every gold commit records ``{"run_id", "as_of"}`` in its commit info, so "the
exceptions when the books closed on D" is found in the history (:mod:`lakehouse.asof`).
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, SparkSession

from lakehouse.asof import close_version
from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.io import history, is_delta_table


def version_as_of(spark: SparkSession, path: str, as_of: date) -> int | None:
    """The version as the books closed on ``as_of`` (see :mod:`lakehouse.asof`)."""
    rows = history(spark, path).select("version", "as_of").collect()
    return close_version([(int(r.version), r.as_of) for r in rows], as_of)


def read_as_of(
    spark: SparkSession,
    settings: Settings,
    table: str,
    as_of: date | None = None,
    version: int | None = None,
) -> DataFrame:
    path = settings.storage.locate(table, default_layer="gold")
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
