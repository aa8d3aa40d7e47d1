"""gold.recon_candidates: the nearest counterparts of every open break, and why each
is not its match.

Grain: one row per (leg, item_id, rank), rank 1..3, nearest first, for every item in
an open break (EXCEPTION or PARTIAL). ``candidate_id`` is the other side's item (ids
joined by ``;`` for a group), ``rule`` the rule it was tested under, ``score`` the
reference score times the amount closeness (``lakehouse.gold.criteria``), ``failed``
how many of that rule's tests failed and ``criteria`` each test with both values and
its limit. A break with no candidate at all has one row, rank 1, with a null
``candidate_id``.

Where the candidates come from (so the search stays cheap at a million events a day):

* a member of a match with a break (PARTIAL, a SUGGESTED pair, a REVERSED return) has
  its counterpart in that match, with the criteria recorded when it was made: no
  search;
* an unmatched break (MISSING_COUNTERPART, UNEXPECTED_BANK_ITEM, DUPLICATE) is
  compared with the other side's items that the run left unmatched, blocked by
  equi-joins on the same normalised reference, or the same currency and an amount
  band of ``BAND`` (the item's band and both neighbours), within ``DAYS`` business days.
  Unmatched breaks are a few per thousand items and the items left open are mostly
  tomorrow's settlements, so the join touches a small slice of the day's items. Each
  pair is tested under every one-to-one rule of the leg and keeps the rule it fails
  least (first in order on ties); candidates rank by failed tests, then score, date
  distance and id.

The table is the run's answer whole, like ``gold.recon_exceptions``: rows of items no
longer open go; the breaks a run does not restate keep their rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    DateType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)

from lakehouse.gold.common import RUN_FIELDS, STEP, with_run_columns
from lakehouse.gold.criteria import CRITERIA, criteria, failed
from lakehouse.gold.matching import pair_reference_score
from lakehouse.gold.rules import Leg, Rule
from lakehouse.io import RunContext, TableSpec, merge
from lakehouse.silver.common import MONEY

TOP = 3
BAND = Decimal("10.00")  # width of the amount bands that block the candidate search
DAYS = 10  # largest business-day distance between a break and a candidate
# Breaks are a few per thousand items and are broadcast to the search; a day with more
# than this many (a missing partner file, a preview of a much stricter rule) leaves the
# joins to the planner instead of building hash tables of that size in the driver.
BROADCAST_MAX = 200_000

SCHEMA = StructType(
    [
        StructField("leg", StringType(), False),
        StructField("item_id", StringType(), False),
        StructField("rank", IntegerType(), False),
        StructField("side", StringType(), True),
        StructField("candidate_id", StringType(), True),
        StructField("rule", StringType(), True),
        StructField("score", DoubleType(), True),
        StructField("failed", IntegerType(), True),
        StructField("criteria", CRITERIA, True),
        StructField("as_of", DateType(), True),
        *RUN_FIELDS,
    ]
)

SPEC = TableSpec(
    layer="gold",
    name="recon_candidates",
    schema=SCHEMA,
    keys=("leg", "item_id", "rank"),
    description="Up to 3 nearest counterparts per open break, each criterion with both values.",
)

_ITEM = ("item_id", "reference", "text", "amount", "currency", "fee", "business_date")


def _small(frame: DataFrame) -> bool:
    return frame.limit(BROADCAST_MAX + 1).count() <= BROADCAST_MAX


def _hinted(frame: DataFrame, small: bool) -> DataFrame:
    return F.broadcast(frame) if small else frame


def _band(amount: Column) -> Column:
    return F.floor(amount / F.lit(BAND))


def _blocked(
    breaks: DataFrame, pool: DataFrame, side: str, rules: list[Rule], small: bool
) -> DataFrame:
    """(break, candidate) pairs sharing a normalised reference, or a currency and an
    amount band (or a neighbouring one), within ``DAYS`` days; both as ``b_``/``c_``,
    with each rule's compared amounts (``b_cmp<i>``, ``c_cmp<i>``)."""
    own, other = ("left_amount", "right_amount")
    if side == "right":
        own, other = other, own
    b = breaks.select(
        *[F.col(c).alias(f"b_{c}") for c in (*_ITEM, "side")],
        *[F.expr(getattr(r, own)).cast(MONEY).alias(f"b_cmp{i}") for i, r in enumerate(rules)],
    )
    c = pool.select(
        *[F.col(x).alias(f"c_{x}") for x in _ITEM],
        *[F.expr(getattr(r, other)).cast(MONEY).alias(f"c_cmp{i}") for i, r in enumerate(rules)],
    )
    ref = F.upper(F.trim(F.col("b_reference"))) == F.upper(F.trim(F.col("c_reference")))
    # breaks are a few per thousand items: broadcast them, never shuffle the pool
    by_ref = _hinted(b.where(F.length(F.trim("b_reference")) > 0), small).join(c, ref)
    banded = b.withColumn(
        "__band", F.explode(F.array(*[_band(F.col("b_amount")) + d for d in (-1, 0, 1)]))
    )
    near = (F.col("b_currency") == F.col("c_currency")) & (
        F.col("__band") == _band(F.col("c_amount"))
    )
    by_amount = _hinted(banded, small).join(c, near).drop("__band")
    pairs = by_ref.unionByName(by_amount).dropDuplicates(["b_item_id", "c_item_id"])
    days = F.abs(F.datediff(F.col("c_business_date"), F.col("b_business_date")))
    return pairs.where(days <= DAYS).withColumn("date_distance", days)


def _oriented(index: int) -> dict[str, Column]:
    """A pair as rule ``index`` sees it: the break on its own side (left or right)."""
    is_left = F.col("b_side") == "left"

    def pick(b: str, c: str) -> tuple[Column, Column]:
        bc, cc = F.col(b), F.col(c)
        return F.when(is_left, bc).otherwise(cc), F.when(is_left, cc).otherwise(bc)

    out: dict[str, Column] = {}
    for name, field in (
        ("business_date", "date"),
        ("currency", "currency"),
        ("reference", "reference"),
        ("text", "text"),
        ("fee", "fee"),
        ("item_id", "item_id"),
    ):
        out[f"left_{field}"], out[f"right_{field}"] = pick(f"b_{name}", f"c_{name}")
    out["left_business_date"], out["right_business_date"] = out["left_date"], out["right_date"]
    out["left_amount"], out["right_amount"] = pick(f"b_cmp{index}", f"c_cmp{index}")
    return out


def _keys(rule: Rule, side: dict[str, Column]) -> dict[str, Column]:
    """The rule's equality keys on a candidate pair: both sides' values and whether
    they are equal (strings trimmed and case-insensitive, as the rule joins them)."""
    pairs = [
        (side[f"left_{lc}"], side[f"right_{rc}"])
        for lc, rc in rule.equal
        if f"left_{lc}" in side and f"right_{rc}" in side
    ]
    if not pairs:
        return {"left_keys": F.lit(None).cast("string"), "right_keys": F.lit(None).cast("string")}
    equal: Column = F.lit(True)
    for left, right in pairs:
        equal = equal & (
            F.upper(F.trim(left.cast("string"))) == F.upper(F.trim(right.cast("string")))
        )
    return {
        "left_keys": F.concat_ws("; ", *[left.cast("string") for left, _ in pairs]),
        "right_keys": F.concat_ws("; ", *[right.cast("string") for _, right in pairs]),
        "keys_passed": F.coalesce(equal, F.lit(False)),
    }


def _tested(rule: Rule, side: dict[str, Column]) -> tuple[Column, Column, Column]:
    """(criteria, failed tests, score) of a pair under one rule."""
    ref_score = pair_reference_score(
        rule, side["left_reference"], side["right_reference"], side["right_text"]
    )
    pair = {
        **_keys(rule, side),
        "left_date": side["left_date"],
        "right_date": side["right_date"],
        "left_amount": side["left_amount"],
        "right_amount": side["right_amount"],
        "left_currency": side["left_currency"],
        "right_currency": side["right_currency"],
        "left_reference": side["left_reference"],
        "right_reference": side["right_reference"],
        "right_text": side["right_text"],
        "right_fee": side["right_fee"],
        "ref_score": ref_score,
    }
    tests = criteria(rule, pair)
    closeness = F.lit(1.0) - F.least(
        F.abs(side["right_amount"] - side["left_amount"])
        / F.greatest(F.abs(side["left_amount"]), F.lit(1)),
        F.lit(1.0),
    ).cast("double")
    return tests, failed(tests), F.coalesce(ref_score, F.lit(0.0)) * closeness


def searched(leg: Leg, breaks: DataFrame, left_pool: DataFrame, right_pool: DataFrame) -> DataFrame:
    """Candidates of unmatched breaks (item columns and ``side``), at most ``TOP`` each,
    from the other side's unmatched items; one null row for a break without any."""
    rules = [r for r in leg.rules if r.strategy == "one_to_one"] or list(leg.rules[:1])
    small = _small(breaks)
    pairs = reduce(
        DataFrame.unionByName,
        [
            _blocked(breaks.where(F.col("side") == side), pool, side, rules, small)
            for side, pool in (("left", right_pool), ("right", left_pool))
        ],
    )
    # Each rule's tests become columns first and are picked by reference: written as
    # one expression, every pick repeats every rule's tests and the plan (and its
    # string, which Spark builds on each adaptive re-plan) grows with rules squared.
    tested = [_tested(rule, _oriented(i)) for i, rule in enumerate(rules)]
    n = len(tested)
    per_rule = pairs.select(
        "b_item_id",
        "b_side",
        "c_item_id",
        "date_distance",
        *[t[0].alias(f"__criteria{i}") for i, t in enumerate(tested)],
        *[t[2].alias(f"__score{i}") for i, t in enumerate(tested)],
    )
    per_rule = per_rule.select(
        "*", *[failed(F.col(f"__criteria{i}")).alias(f"__failed{i}") for i in range(n)]
    )
    # the rule each pair fails least: the first in order among the fewest failures
    per_rule = per_rule.withColumn(
        "__best",
        F.array_min(F.array(*[F.col(f"__failed{i}") * 1000 + i for i in range(n)])) % 1000,
    )
    best = F.col("__best")

    def pick(column: str) -> Column:
        return reduce(
            lambda acc, i: F.when(best == i, F.col(f"__{column}{i}")).otherwise(acc),
            range(1, n),
            F.col(f"__{column}0"),
        )

    rule_name = reduce(
        lambda acc, i: F.when(best == i, F.lit(rules[i].name)).otherwise(acc),
        range(1, n),
        F.lit(rules[0].name),
    )
    scored = per_rule.select(
        F.col("b_item_id").alias("item_id"),
        F.col("b_side").alias("side"),
        F.col("c_item_id").alias("candidate_id"),
        rule_name.alias("rule"),
        F.round(pick("score"), 4).alias("score"),
        pick("failed").cast("int").alias("failed"),
        pick("criteria").alias("criteria"),
        "date_distance",
    )
    order = Window.partitionBy("item_id").orderBy(
        "failed", F.desc("score"), "date_distance", "candidate_id"
    )
    # materialised: the breaks without a candidate are found from it too
    ranked = (
        scored.withColumn("rank", F.row_number().over(order))
        .where(F.col("rank") <= TOP)
        .drop("date_distance")
        .localCheckpoint()
    )
    alone = breaks.select("item_id", "side").join(ranked.select("item_id"), "item_id", "left_anti")
    none = alone.select(
        "item_id",
        "side",
        F.lit(None).cast("string").alias("candidate_id"),
        F.lit(None).cast("string").alias("rule"),
        F.lit(None).cast("double").alias("score"),
        F.lit(None).cast("int").alias("failed"),
        F.lit(None).cast(CRITERIA).alias("criteria"),
        F.lit(1).alias("rank"),
    )
    return ranked.unionByName(none)


def from_matches(members: DataFrame, matches: DataFrame) -> DataFrame:
    """The counterpart of each member of a match with a break (``members``: item_id,
    side, match_id), with the criteria the match recorded."""
    m = matches.select(
        "match_id",
        "rule",
        "left_ids",
        "right_ids",
        F.col("confidence").alias("score"),
        "criteria",
    )
    # the members of matches with a break are few: the run's matches are not shuffled
    wanted = members.select("item_id", "side", "match_id")
    joined = _hinted(wanted, _small(wanted)).join(m, "match_id")
    others = F.when(F.col("side") == "left", F.col("right_ids")).otherwise(F.col("left_ids"))
    return joined.select(
        "item_id",
        "side",
        F.array_join(F.array_sort(others), ";").alias("candidate_id"),
        "rule",
        "score",
        failed(F.coalesce("criteria", F.array().cast(CRITERIA))).cast("int").alias("failed"),
        "criteria",
        F.lit(1).alias("rank"),
    )


def transform(
    leg: Leg,
    breaks: DataFrame,
    matches: DataFrame,
    left_pool: DataFrame,
    right_pool: DataFrame,
    as_of: date,
) -> DataFrame:
    """The leg's open breaks of the run (item columns, ``side``, ``match_id``) -> rows.

    ``matches`` are the leg's matches of the run; ``left_pool`` / ``right_pool`` the
    items of each side that the run left unmatched.
    """
    paired = breaks.where(F.col("match_id").isNotNull())
    alone = breaks.where(F.col("match_id").isNull())
    rows = from_matches(paired, matches).unionByName(searched(leg, alone, left_pool, right_pool))
    return rows.select(
        F.lit(leg.name).alias("leg"),
        "item_id",
        F.col("rank").cast("int").alias("rank"),
        "side",
        "candidate_id",
        "rule",
        F.col("score").cast("double").alias("score"),
        "failed",
        "criteria",
        F.lit(as_of).alias("as_of"),
    )


def write(rows: DataFrame, ctx: RunContext) -> None:
    """The table is the run's answer whole: rows of items no longer open are deleted."""
    merge(with_run_columns(rows, ctx), ctx.settings, SPEC, ctx, step=STEP, delete_scope=F.lit(True))
