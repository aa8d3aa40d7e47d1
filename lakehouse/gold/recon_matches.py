"""gold.recon_matches: every match the rules or an operator made.

Grain: one row per ``match_id``, a hash of the leg and its sorted member ids (the
same pair always gets the same id). Status MATCHED; PARTIAL with the break's reason;
SUGGESTED, a pair a fallback rule proposes for an operator to confirm (with the break
it would have, if any); REVERSED, a return and the item it reverses. ``criteria``
holds the result of each test of the rule that made the match
(``lakehouse.gold.criteria``); ``confidence`` is its score in [0, 1].
``matched_as_of`` is the business day whose run made the match; matches made before
the day being run are kept as they are (frozen). Partitioned by
``matched_as_of``: a day's run rewrites only its own partition and those of the
matches a decision reopens, never the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    DateType,
    DoubleType,
    StringType,
    StructField,
    StructType,
)

from lakehouse.gold.common import RUN_FIELDS, STEP, with_run_columns
from lakehouse.gold.criteria import CRITERIA, criteria_sql_type
from lakehouse.io import RunContext, TableSpec, merge
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
        StructField("criteria", CRITERIA, True),
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
    description="One row per match (match_id from its members): rule, amounts, criteria.",
    # tables written before the criteria were recorded: those matches have none
    backfill=(("criteria", f"CAST(NULL AS {criteria_sql_type()})"),),
)


def run_scope(as_of: date, reopened: Mapping[str, date]) -> tuple[Column, Column]:
    """What the run for ``as_of`` owns, as (delete scope, target filter) over ``t``.

    It owns the matches made on or after its day, and those a decision reopened
    (``reopened``: match id -> the day that made it), which it may drop. Both name
    ``matched_as_of`` partitions, so the MERGE reads and rewrites those only.
    """
    made = F.col("t.matched_as_of") >= F.lit(as_of)
    scope, owned = made, made
    if reopened:
        days = F.col("t.matched_as_of").isin(*sorted(set(reopened.values())))
        scope = scope | (days & F.col("t.match_id").isin(*sorted(reopened)))
        owned = owned | days
    return scope, owned


def write(matches: DataFrame, ctx: RunContext, reopened: Mapping[str, date]) -> None:
    """MERGE the run's matches: unchanged rows stay, dropped ones in its scope go (a
    day's first run, whose scope holds nothing yet, appends them)."""
    scope, owned = run_scope(ctx.as_of, reopened)
    merge(
        with_run_columns(matches.withColumn("matched_as_of", F.lit(ctx.as_of)), ctx),
        ctx.settings,
        SPEC,
        ctx,
        step=STEP,
        delete_scope=scope,
        target_filter=owned,
    )
