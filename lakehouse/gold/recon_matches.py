"""gold.recon_matches: every match the rules or an operator made.

Grain: one row per ``match_id``, a hash of the leg and its sorted member ids (the
same pair always gets the same id). Status MATCHED, or PARTIAL with the break's
reason. ``matched_as_of`` is the business day whose run made the match; matches
made before the day being run are kept as they are (frozen). Partitioned by
``matched_as_of``: a day's run rewrites only its own partition and those of the
matches a decision reopens, never the history.
"""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    DateType,
    DoubleType,
    StringType,
    StructField,
    StructType,
)

from lakehouse.gold.common import RUN_FIELDS
from lakehouse.io import TableSpec
from lakehouse.silver.common import MONEY

SCHEMA = StructType(
    [
        StructField("match_id", StringType(), False),
        StructField("leg", StringType(), True),
        StructField("rule", StringType(), True),
        StructField("strategy", StringType(), True),
        StructField("status", StringType(), True),
        StructField("reason_code", StringType(), True),
        StructField("left_ids", ArrayType(StringType()), True),
        StructField("right_ids", ArrayType(StringType()), True),
        StructField("left_amount", MONEY, True),
        StructField("right_amount", MONEY, True),
        StructField("difference", MONEY, True),
        StructField("currency", StringType(), True),
        StructField("confidence", DoubleType(), True),
        StructField("business_date", DateType(), True),
        StructField("matched_as_of", DateType(), True),
        *RUN_FIELDS,
    ]
)

SPEC = TableSpec(
    layer="gold",
    name="recon_matches",
    schema=SCHEMA,
    keys=("match_id",),
    partition_by=("matched_as_of",),
    description="One row per match (match_id from its members): rule, amounts, difference.",
)
