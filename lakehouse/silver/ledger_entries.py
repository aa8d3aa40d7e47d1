"""silver.ledger_entries: the internal ledger, typed and deduplicated.

Grain: one row per ledger entry (``entry_id``), latest ingestion wins. Money is
DECIMAL(18,2), signed + into our accounts; ``business_date`` is the effective date.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StringType, StructField, StructType, TimestampType

from lakehouse.io import TableSpec
from lakehouse.silver.common import MONEY, iso_date, lineage_fields, local_to_utc, money
from lakehouse.silver.currencies import iso_codes_sql
from lakehouse.silver.expectations import Expectation

SCHEMA = StructType(
    [
        StructField("entry_id", StringType(), False),
        StructField("event_type", StringType(), True),
        StructField("loan_id", StringType(), True),
        StructField("merchant_id", StringType(), True),
        StructField("amount", MONEY, True),
        StructField("currency", StringType(), True),
        StructField("effective_date", DateType(), True),
        StructField("created_at", TimestampType(), True),
        StructField("external_ref", StringType(), True),
        StructField("channel", StringType(), True),
        StructField("business_date", DateType(), True),
        *lineage_fields(),
    ]
)

SPEC = TableSpec(
    layer="silver",
    name="ledger_entries",
    schema=SCHEMA,
    keys=("entry_id",),
    partition_by=("business_date",),
    sequence_by=("_ingested_at", "_row_number"),
    description="One row per ledger entry (entry_id); latest ingestion wins.",
)

EVENT_TYPES = (
    "origination",
    "disbursement",
    "repayment",
    "refund",
    "chargeback",
    "fee",
    "write_off",
    "adjustment",
)

EXPECTATIONS = [
    Expectation("entry_id_present", "entry_id IS NOT NULL AND entry_id <> ''", "drop"),
    Expectation("amount_is_decimal", "amount IS NOT NULL", "drop"),
    Expectation("currency_is_iso", f"currency IN ({iso_codes_sql()})", "drop"),
    Expectation("effective_date_valid", "effective_date IS NOT NULL", "drop"),
    Expectation(
        "event_type_known",
        "event_type IN ({})".format(", ".join(f"'{e}'" for e in EVENT_TYPES)),
        "warn",
    ),
    Expectation("external_ref_present", "external_ref IS NOT NULL", "warn"),
]


def transform(bronze: DataFrame, timezone: str = "UTC") -> DataFrame:
    """bronze.ledger -> typed ledger rows (not yet deduplicated or checked)."""
    created_raw = F.trim("created_at")
    # ISO-8601 with an offset or Z is absolute; a naive timestamp is in the feed's zone.
    has_zone = created_raw.rlike(r"(Z|[+-]\d{2}:?\d{2})$")
    created = F.when(has_zone, created_raw.try_cast("timestamp")).otherwise(
        local_to_utc(created_raw.try_cast("timestamp_ntz").cast("timestamp"), timezone)
    )
    effective = iso_date("effective_date")
    return bronze.select(
        F.trim("entry_id").alias("entry_id"),
        F.lower(F.trim("event_type")).alias("event_type"),
        F.col("loan_id"),
        F.col("merchant_id"),
        money("amount").alias("amount"),
        F.upper(F.trim("currency")).alias("currency"),
        effective.alias("effective_date"),
        created.alias("created_at"),
        F.nullif(F.trim("external_ref"), F.lit("")).alias("external_ref"),
        F.lower(F.trim("channel")).alias("channel"),
        effective.alias("business_date"),
        *[F.col(c) for c in SPEC.schema.fieldNames() if c.startswith("_")],
    )
