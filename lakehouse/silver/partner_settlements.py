"""silver.partner_settlements: every partner report row, typed, in one shape.

Grain: one row per ``settlement_id`` = ``<partner>:<psp reference or batch-N>:<type>``
(deterministic, so a re-delivered report dedups onto the same rows). Money is
DECIMAL(18,2) signed + into our accounts: a payout row is + (cash reaching our bank).
``business_date`` is the booking date in the partner's own time zone.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StringType, StructField, StructType, TimestampType

from lakehouse.io import TableSpec
from lakehouse.silver.common import MONEY, RATE, iso_date, lineage_fields, local_to_utc, money, rate
from lakehouse.silver.currencies import iso_codes_sql
from lakehouse.silver.expectations import Expectation

SCHEMA = StructType(
    [
        StructField("partner", StringType(), False),
        StructField("settlement_id", StringType(), False),
        StructField("batch_id", StringType(), True),
        StructField("psp_reference", StringType(), True),
        StructField("merchant_reference", StringType(), True),
        StructField("record_type", StringType(), True),
        StructField("record_class", StringType(), True),
        StructField("gross_amount", MONEY, True),
        StructField("gross_currency", StringType(), True),
        StructField("exchange_rate", RATE, True),
        StructField("fee_amount", MONEY, True),
        StructField("net_amount", MONEY, True),
        StructField("currency", StringType(), True),
        StructField("booked_at", TimestampType(), True),
        StructField("value_date", DateType(), True),
        StructField("business_date", DateType(), True),
        StructField("description", StringType(), True),
        *lineage_fields(),
    ]
)

SPEC = TableSpec(
    layer="silver",
    name="partner_settlements",
    schema=SCHEMA,
    keys=("settlement_id",),
    partition_by=("business_date",),
    sequence_by=("_ingested_at", "_row_number"),
    description="One row per partner report row (settlement_id); + = cash to us.",
)

# Partner record types (lower-cased, spaces removed) -> what they mean for us.
RECORD_CLASSES: dict[str, tuple[str, ...]] = {
    "payment": ("settled", "charge", "payment", "sale", "capture", "authorised"),
    "refund": ("refunded", "refund", "partial_refund"),
    "chargeback": ("chargeback", "secondchargeback", "dispute", "chargeback_reversal_reversal"),
    "reversal": ("chargebackreversed", "refundedreversed", "dispute_reversal"),
    "payout": ("merchantpayout", "payout", "paidout"),
    "fee": (
        "fee",
        "misccosts",
        "paymentcost",
        "invoicededuction",
        "stripe_fee",
        "other_adjustment",
    ),
}

EXPECTATIONS = [
    Expectation("settlement_id_present", "settlement_id IS NOT NULL", "drop"),
    Expectation("net_amount_is_decimal", "net_amount IS NOT NULL", "drop"),
    Expectation("currency_is_iso", f"currency IN ({iso_codes_sql()})", "drop"),
    Expectation("business_date_valid", "business_date IS NOT NULL", "drop"),
    Expectation(
        "gross_minus_fees_equals_net",
        "record_class <> 'payment' OR gross_currency <> currency OR fee_amount IS NULL "
        "OR gross_amount - fee_amount = net_amount",
        "warn",
    ),
]


def record_class(record_type: Column) -> Column:
    key = F.regexp_replace(F.lower(F.trim(record_type)), r"\s+", "")
    result: Column = F.lit("other")
    for cls, types in reversed(RECORD_CLASSES.items()):
        result = F.when(key.isin(*types), F.lit(cls)).otherwise(result)
    return result


def _zone(timezone_col: str, default: str) -> Column:
    # Reports name zones like "CET" or "UTC"; both are IANA names. Blank -> feed zone.
    raw = F.nullif(F.trim(F.col(timezone_col)), F.lit(""))
    return F.coalesce(raw, F.lit(default))


def transform(bronze: DataFrame, partner: str, timezone: str = "UTC") -> DataFrame:
    """bronze.<partner feed> -> typed settlement rows (not yet deduplicated or checked)."""
    cls = record_class(F.col("record_type"))
    flip = F.when(cls == "payout", F.lit(-1)).otherwise(F.lit(1))
    booked_local = F.trim("booked_at").try_cast("timestamp_ntz").cast("timestamp")
    booked_utc = local_to_utc(booked_local, _zone("timezone", timezone))
    key = F.coalesce(
        F.nullif(F.trim("psp_reference"), F.lit("")),
        F.concat(F.lit("batch-"), F.nullif(F.trim("batch_id"), F.lit(""))),
    )
    net_currency = F.upper(F.trim("net_currency"))
    return bronze.select(
        F.lit(partner).alias("partner"),
        F.concat_ws(":", F.lit(partner), key, F.trim("record_type")).alias("settlement_id"),
        F.nullif(F.trim("batch_id"), F.lit("")).alias("batch_id"),
        F.nullif(F.trim("psp_reference"), F.lit("")).alias("psp_reference"),
        F.nullif(F.trim("merchant_reference"), F.lit("")).alias("merchant_reference"),
        F.trim("record_type").alias("record_type"),
        cls.alias("record_class"),
        (money("gross_amount") * flip).cast(MONEY).alias("gross_amount"),
        F.coalesce(F.upper(F.trim("gross_currency")), net_currency).alias("gross_currency"),
        rate("exchange_rate").alias("exchange_rate"),
        money("fee_amount").alias("fee_amount"),
        (money("net_amount") * flip).cast(MONEY).alias("net_amount"),
        net_currency.alias("currency"),
        booked_utc.alias("booked_at"),
        iso_date("value_date").alias("value_date"),
        F.to_date(booked_local).alias("business_date"),
        F.col("description"),
        *[F.col(c) for c in SCHEMA.fieldNames() if c.startswith("_")],
    )
