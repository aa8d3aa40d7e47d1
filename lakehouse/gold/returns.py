"""Returns that reverse a match (NACHA returned debits), as a pure transform.

A return is a right-side item that names the left item it undoes: same reference,
opposite amount, same currency, ``date_min``..``date_max`` days after it. Pairs are
assigned like rule matches (mutual best in rounds: nearest date, then id), so each
return reverses at most one item, each item is reversed at most once, and the result
is deterministic. The pair becomes a match with
status ``REVERSED`` and the configured reason; both members are breaks with that
reason, whatever matched the left item before.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.gold.criteria import money
from lakehouse.gold.matching import MATCH_COLUMNS, assign, match_id
from lakehouse.gold.rules import Returns
from lakehouse.silver.common import MONEY

STATUS = "REVERSED"
STRATEGY = "reversal"


def _criteria(returns: Returns) -> Column:
    """The tests that paired a return with the item it reverses (all passed)."""

    def one(name: str, left: Column, right: Column, limit: str) -> Column:
        return F.struct(
            F.lit(name).alias("name"),
            F.lit(True).alias("passed"),
            left.cast("string").alias("left"),
            right.cast("string").alias("right"),
            F.lit(limit).alias("limit"),
        )

    return F.array(
        one("keys", F.col("l.reference"), F.col("r.reference"), "reference = reference"),
        one(
            "date",
            F.col("l.business_date"),
            F.col("r.business_date"),
            f"{returns.date_min}..{returns.date_max} days",
        ),
        one("amount", money(F.col("l.amount")), money(F.col("r.amount")), "opposite"),
        one("currency", F.col("l.currency"), F.col("r.currency"), "equal"),
    )


def reversal_matches(
    leg_name: str, returns: Returns, left: DataFrame, return_items: DataFrame
) -> DataFrame:
    """(left items, return items) -> one REVERSED match per returned item (MATCH_COLUMNS)."""
    # returns are a few per thousand entries: broadcast them, never shuffle the ledger
    lhs, rhs = left.alias("l"), F.broadcast(return_items).alias("r")
    days = F.datediff(F.col("r.business_date"), F.col("l.business_date"))
    pairs = lhs.join(
        rhs,
        (F.upper(F.trim(F.col("l.reference"))) == F.upper(F.trim(F.col("r.reference"))))
        & (F.col("l.currency") == F.col("r.currency"))
        & (F.col("l.amount") == -F.col("r.amount")),
    ).where(days.between(returns.date_min, returns.date_max))
    pairs = pairs.select(
        F.col("l.item_id").alias("left_id"),
        F.col("r.item_id").alias("right_id"),
        F.col("l.amount").alias("left_amount"),
        F.col("r.amount").alias("right_amount"),
        F.col("l.currency").alias("currency"),
        F.col("r.business_date").alias("business_date"),
        days.alias("date_distance"),
        F.lit(1.0).alias("score"),
        _criteria(returns).alias("criteria"),
    )
    chosen = assign(pairs)
    left_ids, right_ids = F.array(F.col("left_id")), F.array(F.col("right_id"))
    return chosen.select(
        match_id(F.lit(leg_name), left_ids, right_ids).alias("match_id"),
        F.lit(leg_name).alias("leg"),
        F.lit(returns.name).alias("rule"),
        F.lit(STRATEGY).alias("strategy"),
        F.lit(STATUS).alias("status"),
        F.lit(returns.reason_code).alias("reason_code"),
        left_ids.alias("left_ids"),
        right_ids.alias("right_ids"),
        F.col("left_amount").cast(MONEY).alias("left_amount"),
        F.col("right_amount").cast(MONEY).alias("right_amount"),
        (F.col("right_amount") + F.col("left_amount")).cast(MONEY).alias("difference"),
        "currency",
        F.lit(1.0).alias("confidence"),
        "business_date",
        "criteria",
    ).select(*MATCH_COLUMNS)
