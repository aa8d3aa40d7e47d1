"""Column helpers shared by the silver transforms (pure Column -> Column functions)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType, StructField

from lakehouse.bronze.tables import LINEAGE_FIELDS
from lakehouse.constants import MONEY_PRECISION, MONEY_SCALE

MONEY = DecimalType(MONEY_PRECISION, MONEY_SCALE)
RATE = DecimalType(18, 8)
LINEAGE_COLUMNS = tuple(f.name for f in LINEAGE_FIELDS)


def lineage_fields() -> list[StructField]:
    return list(LINEAGE_FIELDS)


def _col(column: str | Column) -> Column:
    return F.col(column) if isinstance(column, str) else column


def money(column: str | Column) -> Column:
    """A decimal string -> DECIMAL(18,2); NULL when absent or not a number."""
    return F.trim(_col(column)).try_cast("decimal(38,10)").try_cast(MONEY)


def rate(column: str | Column) -> Column:
    return F.trim(_col(column)).try_cast("decimal(38,10)").try_cast(RATE)


def iso_date(column: str | Column) -> Column:
    """An ISO ``YYYY-MM-DD`` string -> DATE; NULL when it is not one."""
    return F.trim(_col(column)).try_cast("date")


def local_to_utc(ts: Column, zone: Column | str) -> Column:
    """A naive local timestamp in ``zone`` -> the UTC instant (DST-aware)."""
    return F.to_utc_timestamp(ts, zone if isinstance(zone, Column) else F.lit(zone))


def keyed_hash(column: str | Column, key: str, length: int = 16) -> Column:
    """A keyed SHA-256 of the value (hex prefix): joins work, the value is gone."""
    col = _col(column)
    return F.when(col.isNull(), F.lit(None)).otherwise(
        F.substring(F.sha2(F.concat(F.lit(key), F.lit("|"), col), 256), 1, length)
    )


def mask_account(column: str | Column, key: str) -> Column:
    """``****7788#<keyed hash>``: last four digits for humans, hash for joins."""
    col = _col(column)
    digits = F.regexp_replace(col, r"[^0-9A-Za-z]", "")
    return F.when(col.isNull(), F.lit(None)).otherwise(
        F.concat(F.lit("****"), F.substring(digits, -4, 4), F.lit("#"), keyed_hash(col, key, 12))
    )
