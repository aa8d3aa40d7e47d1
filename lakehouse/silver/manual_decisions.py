"""silver.manual_decisions: operator matches, unmatches, write-offs, adjustments and the
exception queue's assignments, comments and statuses.

Grain: one row per ``decision_id``, with who, when and why (``reason``; a comment's
text). Decisions are applied in ``decided_at`` order on every reconciliation run:
the item-changing ones before any rule, the queue ones to ``gold.exception_queue``.
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

from lakehouse.bronze.formats.manual_decisions import ACTIONS, QUEUE_ACTIONS, STATUSES
from lakehouse.io import TableSpec
from lakehouse.silver.common import MONEY, lineage_fields
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
        StructField("owner", StringType(), True),
        StructField("status", StringType(), True),
        StructField("amount", MONEY, True),
        *lineage_fields(),
    ]
)

SPEC = TableSpec(
    layer="silver",
    name="manual_decisions",
    schema=SCHEMA,
    keys=("decision_id",),
    sequence_by=("_ingested_at", "_row_number"),
    description="One row per operator decision (decision_id): what, on which items, who, why.",
    backfill=(
        ("owner", "CAST(NULL AS STRING)"),
        ("status", "CAST(NULL AS STRING)"),
        ("amount", f"CAST(NULL AS {MONEY.simpleString()})"),
    ),
)


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


EXPECTATIONS = [
    Expectation("action_known", f"action IN ({_sql_list(ACTIONS)})", "drop"),
    Expectation("leg_known", "leg IN ('ledger_partner', 'partner_bank', 'ledger_bank')", "drop"),
    Expectation("who_and_why", "decided_by IS NOT NULL AND reason IS NOT NULL", "drop"),
    Expectation(
        "match_has_both_sides",
        "action <> 'match' OR (size(left_ids) > 0 AND size(right_ids) > 0)",
        "drop",
    ),
    Expectation(
        "item_decision_names_item",
        f"action NOT IN ('write_off', 'adjust', {_sql_list(QUEUE_ACTIONS)}) OR item_id IS NOT NULL",
        "drop",
    ),
    Expectation("adjust_has_amount", "action <> 'adjust' OR amount IS NOT NULL", "drop"),
    Expectation("assign_names_owner", "action <> 'assign' OR owner IS NOT NULL", "drop"),
    Expectation("status_known", f"action <> 'status' OR status IN ({_sql_list(STATUSES)})", "drop"),
]


def _ids(column: str) -> Column:
    return F.filter(F.split(F.coalesce(F.col(column), F.lit("")), ","), lambda x: F.length(x) > 0)


def _optional(bronze: DataFrame, column: str) -> Column:
    """A key decision files gained later: null in bronze rows landed before it."""
    return F.col(column) if column in bronze.columns else F.lit(None).cast("string")


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
        F.nullif(F.trim(_optional(bronze, "owner")), F.lit("")).alias("owner"),
        F.upper(F.trim(_optional(bronze, "status"))).alias("status"),
        F.trim(_optional(bronze, "amount")).try_cast(MONEY).alias("amount"),
        *[F.col(c) for c in SCHEMA.fieldNames() if c.startswith("_")],
    )
