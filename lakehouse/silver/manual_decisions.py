"""silver.manual_decisions: operator matches, unmatches and write-offs.

Grain: one row per ``decision_id``, with who, when and why. Decisions are applied
before any rule, in ``decided_at`` order, on every reconciliation run.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    DateType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lakehouse.io import TableSpec
from lakehouse.silver.common import lineage_fields
from lakehouse.silver.expectations import Expectation

SCHEMA = StructType(
    [
        StructField("decision_id", StringType(), False),
        StructField("action", StringType(), True),
        StructField("leg", StringType(), True),
        StructField("left_ids", ArrayType(StringType()), True),
        StructField("right_ids", ArrayType(StringType()), True),
        StructField("item_id", StringType(), True),
        StructField("reason", StringType(), True),
        StructField("decided_by", StringType(), True),
        StructField("decided_at", TimestampType(), True),
        StructField("business_date", DateType(), True),
        *lineage_fields(),
    ]
)

SPEC = TableSpec(
    layer="silver",
    name="manual_decisions",
    schema=SCHEMA,
    keys=("decision_id",),
    sequence_by=("_ingested_at", "_row_number"),
    description="One row per operator decision (decision_id): match, unmatch or write-off.",
)

EXPECTATIONS = [
    Expectation("action_known", "action IN ('match', 'unmatch', 'write_off')", "drop"),
    Expectation("leg_known", "leg IN ('ledger_partner', 'partner_bank', 'ledger_bank')", "drop"),
    Expectation("who_and_why", "decided_by IS NOT NULL AND reason IS NOT NULL", "drop"),
    Expectation(
        "match_has_both_sides",
        "action <> 'match' OR (size(left_ids) > 0 AND size(right_ids) > 0)",
        "drop",
    ),
    Expectation("write_off_names_item", "action <> 'write_off' OR item_id IS NOT NULL", "drop"),
]


def _ids(column: str) -> Column:
    return F.filter(F.split(F.coalesce(F.col(column), F.lit("")), ","), lambda x: F.length(x) > 0)


def transform(bronze: DataFrame) -> DataFrame:
    decided_at = F.trim("decided_at").try_cast("timestamp")
    return bronze.select(
        F.trim("decision_id").alias("decision_id"),
        F.lower(F.trim("action")).alias("action"),
        F.trim("leg").alias("leg"),
        _ids("left_ids").alias("left_ids"),
        _ids("right_ids").alias("right_ids"),
        F.nullif(F.trim("item_id"), F.lit("")).alias("item_id"),
        F.col("reason"),
        F.col("decided_by"),
        decided_at.alias("decided_at"),
        F.to_date(decided_at).alias("business_date"),
        *[F.col(c) for c in SCHEMA.fieldNames() if c.startswith("_")],
    )
