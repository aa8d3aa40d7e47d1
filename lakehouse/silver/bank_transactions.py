"""silver.bank_transactions: every booked bank entry from every statement format.

Grain: one row per ``bank_txn_id``, a hash of the entry's content and its
occurrence number among identical entries of the same statement: a re-delivered
statement dedups onto the same ids, while two genuine identical entries stay two.
Money DECIMAL(18,2) signed + credit to our account. Account numbers and names are
masked (keyed hash, last four digits); raw values stay in bronze only.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DateType, StringType, StructField, StructType

from lakehouse.io import TableSpec
from lakehouse.silver.common import MONEY, iso_date, keyed_hash, lineage_fields, mask_account, money
from lakehouse.silver.currencies import iso_codes_sql
from lakehouse.silver.expectations import Expectation

SCHEMA = StructType(
    [
        StructField("bank_txn_id", StringType(), False),
        StructField("source", StringType(), True),
        StructField("account_id", StringType(), True),
        StructField("account_key", StringType(), True),
        StructField("statement_id", StringType(), True),
        StructField("amount", MONEY, True),
        StructField("currency", StringType(), True),
        StructField("booking_date", DateType(), True),
        StructField("value_date", DateType(), True),
        StructField("type_code", StringType(), True),
        StructField("bank_reference", StringType(), True),
        StructField("customer_reference", StringType(), True),
        StructField("description", StringType(), True),
        StructField("counterparty", StringType(), True),
        StructField("counterparty_account", StringType(), True),
        StructField("return_reason", StringType(), True),
        StructField("reversal", BooleanType(), True),
        StructField("business_date", DateType(), True),
        *lineage_fields(),
    ]
)

SPEC = TableSpec(
    layer="silver",
    name="bank_transactions",
    schema=SCHEMA,
    keys=("bank_txn_id",),
    partition_by=("business_date",),
    sequence_by=("_ingested_at", "_row_number"),
    description="One row per booked bank entry (bank_txn_id); + = credit to our account.",
)

EXPECTATIONS = [
    Expectation("amount_is_decimal", "amount IS NOT NULL", "drop"),
    Expectation("currency_is_iso", f"currency IN ({iso_codes_sql()})", "drop"),
    Expectation("booking_date_valid", "booking_date IS NOT NULL", "drop"),
    Expectation(
        "direction_known", "amount = 0 OR amount IS NULL OR sign(amount) IN (1, -1)", "fail"
    ),
    Expectation("no_raw_account_number", "account_id LIKE '****%'", "fail"),
]

_CONTENT = (
    "account_id",
    "booking_date",
    "credit_debit",
    "amount",
    "currency",
    "bank_reference",
    "customer_reference",
    "type_code",
    "description",
)


def transform(bronze: DataFrame, masking_key: str) -> DataFrame:
    """bronze bank rows (record_type TXN) -> typed, masked entries."""
    txns = bronze.where(F.col("record_type") == "TXN")
    content = F.concat_ws("|", *[F.coalesce(F.col(c), F.lit("")) for c in _CONTENT])
    occurrence = F.row_number().over(
        Window.partitionBy("_file_sha256", "statement_id", content.alias("c")).orderBy(
            "_row_number"
        )
    )
    sign = F.when(F.upper(F.col("credit_debit")) == "DBIT", F.lit(-1)).otherwise(F.lit(1))
    booking = iso_date("booking_date")
    return txns.select(
        F.sha2(
            F.concat_ws(
                "|",
                F.lit(masking_key),  # the content holds raw account numbers: key the hash
                F.col("_source"),
                F.coalesce("statement_id", F.lit("")),
                content,
                occurrence.cast("string"),
            ),
            256,
        )
        .substr(1, 32)
        .alias("bank_txn_id"),
        F.col("_source").alias("source"),
        mask_account("account_id", masking_key).alias("account_id"),
        keyed_hash("account_id", masking_key).alias("account_key"),
        keyed_hash("statement_id", masking_key).alias("statement_id"),
        (money("amount") * sign).cast(MONEY).alias("amount"),
        F.upper(F.trim("currency")).alias("currency"),
        booking.alias("booking_date"),
        iso_date("value_date").alias("value_date"),
        F.col("type_code"),
        F.nullif(F.trim("bank_reference"), F.lit("")).alias("bank_reference"),
        F.nullif(F.trim("customer_reference"), F.lit("")).alias("customer_reference"),
        F.col("description"),
        keyed_hash(F.nullif(F.trim("counterparty_name"), F.lit("")), masking_key).alias(
            "counterparty"
        ),
        mask_account(F.nullif(F.trim("counterparty_account"), F.lit("")), masking_key).alias(
            "counterparty_account"
        ),
        F.nullif(F.trim("return_reason"), F.lit("")).alias("return_reason"),
        (F.lower(F.col("reversal")) == "true").alias("reversal"),
        booking.alias("business_date"),
        *[F.col(c) for c in SCHEMA.fieldNames() if c.startswith("_")],
    )
