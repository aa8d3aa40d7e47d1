"""silver.bank_balances: one opening/closing pair per account and statement day.

Grain: ``(account_key, date)``. Each statement must prove itself (opening + its
entries = closing, ``proves``) and chain to the previous day (closing of the
previous statement = opening, ``continuity_ok``); a gap of more than one day is
flagged in ``missing_days``, never filled in.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DateType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)

from lakehouse.io import TableSpec
from lakehouse.silver.common import MONEY, iso_date, keyed_hash, lineage_fields, mask_account, money
from lakehouse.silver.expectations import Expectation

SCHEMA = StructType(
    [
        StructField("account_key", StringType(), False),
        StructField("date", DateType(), False),
        StructField("account_id", StringType(), True),
        StructField("source", StringType(), True),
        StructField("statement_id", StringType(), True),
        StructField("currency", StringType(), True),
        StructField("opening", MONEY, True),
        StructField("closing", MONEY, True),
        StructField("transactions_total", MONEY, True),
        StructField("proves", BooleanType(), True),
        StructField("previous_date", DateType(), True),
        StructField("previous_closing", MONEY, True),
        StructField("continuity_ok", BooleanType(), True),
        StructField("missing_days", IntegerType(), True),
        *lineage_fields(),
    ]
)

SPEC = TableSpec(
    layer="silver",
    name="bank_balances",
    schema=SCHEMA,
    keys=("account_key", "date"),
    partition_by=(),
    sequence_by=("_ingested_at", "_row_number"),
    description="One row per account and statement day with opening, closing and proofs.",
)

EXPECTATIONS = [
    Expectation(
        "opening_and_closing_present", "opening IS NOT NULL AND closing IS NOT NULL", "drop"
    ),
    Expectation("statement_proves_itself", "proves", "warn"),
    Expectation("continuity_with_previous_day", "continuity_ok IS NULL OR continuity_ok", "warn"),
    Expectation("no_missing_statement_day", "coalesce(missing_days, 0) = 0", "warn"),
]


def _signed(amount: str) -> Column:
    sign = F.when(F.upper(F.col("credit_debit")) == "DBIT", F.lit(-1)).otherwise(F.lit(1))
    return (money(amount) * sign).cast(MONEY)


def transform(bronze: DataFrame, masking_key: str) -> DataFrame:
    """Bronze bank rows of one or more statements -> one row per statement (no continuity yet)."""
    statement = ["_source", "_file_sha256", "statement_id", "account_id"]
    balances = (
        bronze.where(F.col("record_type") == "BALANCE")
        .groupBy(*statement)
        .agg(
            F.max(F.when(F.col("balance_type") == "CLBD", iso_date("booking_date"))).alias("date"),
            F.coalesce(
                F.first(
                    F.when(F.col("balance_type") == "OPBD", _signed("amount")), ignorenulls=True
                ),
                F.first(
                    F.when(F.col("balance_type") == "PRCD", _signed("amount")), ignorenulls=True
                ),
            ).alias("opening"),
            F.first(
                F.when(F.col("balance_type") == "CLBD", _signed("amount")), ignorenulls=True
            ).alias("closing"),
            F.first(F.upper("currency"), ignorenulls=True).alias("currency"),
            F.min("_row_number").alias("_row_number"),
            *[
                F.first(c).alias(c)
                for c in ("_file_path", "_ingested_at", "_run_id", "_arrival_date")
            ],
        )
    )
    totals = (
        bronze.where(F.col("record_type") == "TXN")
        .groupBy(*statement)
        .agg(F.sum(_signed("amount")).cast(MONEY).alias("transactions_total"))
    )
    joined = balances.join(totals, statement, "left").where(F.col("date").isNotNull())
    txn_total = F.coalesce(F.col("transactions_total"), F.lit(0).cast(MONEY))
    return joined.select(
        keyed_hash("account_id", masking_key).alias("account_key"),
        F.col("date"),
        mask_account("account_id", masking_key).alias("account_id"),
        F.col("_source").alias("source"),
        keyed_hash("statement_id", masking_key).alias("statement_id"),
        F.col("currency"),
        F.col("opening"),
        F.col("closing"),
        txn_total.alias("transactions_total"),
        (F.col("opening") + txn_total == F.col("closing")).alias("proves"),
        F.lit(None).cast("date").alias("previous_date"),
        F.lit(None).cast(MONEY).alias("previous_closing"),
        F.lit(None).cast("boolean").alias("continuity_ok"),
        F.lit(None).cast("int").alias("missing_days"),
        F.col("_source"),
        F.col("_file_path"),
        F.col("_file_sha256"),
        F.col("_row_number"),
        F.col("_ingested_at"),
        F.col("_run_id"),
        F.col("_arrival_date"),
    )


def with_continuity(balances: DataFrame) -> DataFrame:
    """Fill previous_date/previous_closing/continuity_ok/missing_days per account."""
    by_account = Window.partitionBy("account_key").orderBy("date")
    previous_date = F.lag("date").over(by_account)
    previous_closing = F.lag("closing").over(by_account)
    return balances.withColumns(
        {
            "previous_date": previous_date,
            "previous_closing": previous_closing,
            "continuity_ok": F.when(
                previous_closing.isNull(), F.lit(None).cast("boolean")
            ).otherwise(previous_closing == F.col("opening")),
            "missing_days": F.when(previous_date.isNull(), F.lit(0)).otherwise(
                F.datediff("date", previous_date) - 1
            ),
        }
    )
