"""Rule-driven matching of one leg, set-based (joins and windows, no UDFs).

For each rule in order, candidate pairs come from an equi-join on the rule's
equality keys, filtered by date window, reference test, currency and amount
tolerance. Among candidates, a pair is taken when it is the best for both of its
sides (score desc, date distance asc, then the other side's id asc); this repeats a
few rounds so second-best pairs are found once the best are taken. The result is
deterministic and every item belongs to at most one match. Items taken by a rule
are removed before the next rule runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

from lakehouse.constants import MATCH_ROUNDS
from lakehouse.gold.rules import Leg, Rule
from lakehouse.silver.common import MONEY

MATCH_COLUMNS = (
    "match_id",
    "leg",
    "rule",
    "strategy",
    "status",
    "reason_code",
    "left_ids",
    "right_ids",
    "left_amount",
    "right_amount",
    "difference",
    "currency",
    "confidence",
    "business_date",
)


@dataclass(frozen=True)
class LegMatches:
    matches: DataFrame  # MATCH_COLUMNS
    left_unmatched: DataFrame
    right_unmatched: DataFrame


def match_id(leg: Column, left_ids: Column, right_ids: Column) -> Column:
    """Deterministic from the members: the same pair always has the same id."""
    key = F.concat_ws(
        "|",
        leg,
        F.array_join(F.array_sort(left_ids), ","),
        F.array_join(F.array_sort(right_ids), ","),
    )
    return F.sha2(key, 256).substr(1, 24)


def _grouped(items: DataFrame, group_key: str) -> DataFrame:
    """Items folded by ``group_key``: one pseudo-item per group with summed amounts."""
    keyed = items.withColumn("group_key", F.expr(group_key)).where(
        F.col("group_key").isNotNull() & (F.col("group_key") != "")
    )
    return (
        keyed.groupBy("group_key")
        .agg(
            F.concat(F.lit("group:"), F.col("group_key")).alias("item_id"),
            F.array_sort(F.collect_list("item_id")).alias("members"),
            F.min("business_date").alias("business_date"),
            F.sum("amount").cast(MONEY).alias("amount"),
            F.sum("cmp_amount").cast(MONEY).alias("cmp_amount"),
            F.min("currency").alias("currency"),
            F.countDistinct("currency").alias("n_currencies"),
            F.col("group_key").alias("reference"),
            F.col("group_key").alias("text"),
            F.sum("fee").cast(MONEY).alias("fee"),
            F.sum("net").cast(MONEY).alias("net"),
        )
        .where("n_currencies = 1")
        .drop("n_currencies")
    )


def _singles(items: DataFrame) -> DataFrame:
    return items.withColumn("members", F.array(F.col("item_id"))).withColumn(
        "group_key", F.lit(None).cast("string")
    )


def _tokens(text: Column) -> Column:
    return F.concat(
        F.lit(" "), F.upper(F.regexp_replace(text, r"[^A-Za-z0-9_\-]+", " ")), F.lit(" ")
    )


def _reference_score(rule: Rule, left: Column, right: Column, right_text: Column) -> Column:
    if rule.reference == "equals":
        return F.when(F.upper(left) == F.upper(right), F.lit(1.0))
    if rule.reference == "contains":
        needle = F.concat(F.lit(" "), F.upper(F.trim(left)), F.lit(" "))
        return F.when(
            (F.length(F.trim(left)) > 0) & _tokens(right_text).contains(needle), F.lit(1.0)
        )
    if rule.reference == "similarity":
        longest = F.greatest(F.length(left), F.length(right), F.lit(1))
        sim = F.lit(1.0) - F.levenshtein(F.upper(left), F.upper(right)) / longest
        return F.when(sim >= F.lit(rule.similarity), sim)
    return F.lit(1.0)


def _tolerance(rule: Rule, left_amount: Column) -> Column:
    pct = F.abs(left_amount) * F.lit(rule.tolerance_pct / 100.0)
    return F.greatest(F.lit(rule.tolerance_abs), pct)


def _candidates(rule: Rule, left: DataFrame, right: DataFrame) -> DataFrame:
    lhs, rhs = left.alias("l"), right.alias("r")
    condition: Column = F.lit(True)
    ltypes, rtypes = dict(left.dtypes), dict(right.dtypes)
    for left_col, right_col in rule.equal:
        lcol, rcol = F.col(f"l.{left_col}"), F.col(f"r.{right_col}")
        if ltypes[left_col] == rtypes[right_col] == "string":
            # references travel through banks and partners: case and padding are noise
            lcol, rcol = F.upper(F.trim(lcol)), F.upper(F.trim(rcol))
        condition = condition & (lcol == rcol)
    pairs = lhs.join(rhs, condition, "inner")
    days = F.datediff(F.col("r.business_date"), F.col("l.business_date"))
    score = _reference_score(rule, F.col("l.reference"), F.col("r.reference"), F.col("r.text"))
    diff = (F.col("r.cmp_amount") - F.col("l.cmp_amount")).cast("decimal(20,2)")
    within = F.abs(diff) <= _tolerance(rule, F.col("l.cmp_amount"))
    same_currency = F.col("l.currency") == F.col("r.currency")
    accepted = days.between(rule.date_min, rule.date_max) & score.isNotNull()
    if rule.currency:
        accepted = accepted & same_currency
    if rule.outcome == "MATCHED":
        accepted = accepted & within
    penalty = F.least(F.abs(diff) / F.greatest(F.abs(F.col("l.cmp_amount")), F.lit(1)), F.lit(1.0))
    return pairs.where(accepted).select(
        F.col("l.item_id").alias("left_id"),
        F.col("r.item_id").alias("right_id"),
        F.col("l.members").alias("left_ids"),
        F.col("r.members").alias("right_ids"),
        F.col("l.cmp_amount").alias("left_amount"),
        F.col("r.cmp_amount").alias("right_amount"),
        diff.alias("difference"),
        F.col("l.currency").alias("left_currency"),
        F.col("r.currency").alias("right_currency"),
        F.col("r.fee").alias("right_fee"),
        F.least(F.col("l.business_date"), F.col("r.business_date")).alias("business_date"),
        F.abs(days).alias("date_distance"),
        (score.cast("double") - penalty.cast("double")).alias("score"),
        within.alias("within_tolerance"),
    )


def _by_left() -> WindowSpec:
    return Window.partitionBy("left_id").orderBy(
        F.desc("score"), F.asc("date_distance"), F.asc("right_id")
    )


def _by_right() -> WindowSpec:
    return Window.partitionBy("right_id").orderBy(
        F.desc("score"), F.asc("date_distance"), F.asc("left_id")
    )


def _mutual_best(pairs: DataFrame) -> DataFrame:
    ranked = pairs.withColumn("__l", F.row_number().over(_by_left())).withColumn(
        "__r", F.row_number().over(_by_right())
    )
    return ranked.where("__l = 1 AND __r = 1").drop("__l", "__r")


_RANKS = ("__l", "__r", "__nl", "__nr")


def assign(pairs: DataFrame) -> DataFrame:
    """Greedy mutual-best assignment in rounds; each side id used at most once.

    Round one ranks every pair and counts the candidates of each side. A pair that is
    its left's and its right's only candidate is taken in round one and shares no id
    with any other pair, so later rounds only see the contested pairs: at 1M events a
    day that is a few thousand pairs instead of re-joining a million every round.
    """
    # each side's rank and count next to each other: the pairs are shuffled and sorted
    # once per side instead of twice
    ranked = (
        pairs.withColumn("__l", F.row_number().over(_by_left()))
        .withColumn("__nl", F.count(F.lit(1)).over(Window.partitionBy("left_id")))
        .withColumn("__r", F.row_number().over(_by_right()))
        .withColumn("__nr", F.count(F.lit(1)).over(Window.partitionBy("right_id")))
        .localCheckpoint()
    )
    first = F.col("__l") == 1
    first = first & (F.col("__r") == 1)
    contested = (F.col("__nl") > 1) | (F.col("__nr") > 1)
    taken = ranked.where(first).drop(*_RANKS)
    won = ranked.where(first & contested)
    remaining = (
        ranked.where(contested & ~first)
        .drop(*_RANKS)
        .join(won.select("left_id"), "left_id", "left_anti")
        .join(won.select("right_id"), "right_id", "left_anti")
        .localCheckpoint()
    )
    for _ in range(MATCH_ROUNDS - 1):
        if remaining.limit(1).count() == 0:
            break
        best = _mutual_best(remaining).localCheckpoint()
        taken = taken.unionByName(best)
        remaining = (
            remaining.join(best.select("left_id"), "left_id", "left_anti")
            .join(best.select("right_id"), "right_id", "left_anti")
            .localCheckpoint()
        )
    return taken


def _reason(rule: Rule) -> Column:
    fee_pct = F.abs(F.col("right_fee")) * 100 / F.greatest(F.abs(F.col("right_amount")), F.lit(1))
    reason = F.when(
        F.col("left_currency") != F.col("right_currency"), F.lit("CURRENCY_MISMATCH")
    ).when(~F.col("within_tolerance"), F.lit("AMOUNT_MISMATCH"))
    if rule.max_fee_pct is not None:
        reason = reason.when(fee_pct > F.lit(rule.max_fee_pct), F.lit("FEE_VARIANCE"))
    return reason


def _to_matches(leg: Leg, rule: Rule, chosen: DataFrame) -> DataFrame:
    reason = _reason(rule)
    return chosen.select(
        match_id(F.lit(leg.name), F.col("left_ids"), F.col("right_ids")).alias("match_id"),
        F.lit(leg.name).alias("leg"),
        F.lit(rule.name).alias("rule"),
        F.lit(rule.strategy).alias("strategy"),
        F.when(reason.isNull(), F.lit("MATCHED")).otherwise(F.lit("PARTIAL")).alias("status"),
        reason.alias("reason_code"),
        F.array_sort("left_ids").alias("left_ids"),
        F.array_sort("right_ids").alias("right_ids"),
        F.col("left_amount").cast(MONEY).alias("left_amount"),
        F.col("right_amount").cast(MONEY).alias("right_amount"),
        F.col("difference").cast(MONEY).alias("difference"),
        F.col("left_currency").alias("currency"),
        F.round(F.greatest(F.col("score"), F.lit(0.0)), 4).alias("confidence"),
        F.col("business_date"),
    )


def _prepared(items: DataFrame, amount_expr: str) -> DataFrame:
    return items.withColumn("cmp_amount", F.expr(amount_expr).cast(MONEY))


def apply_rule(
    leg: Leg, rule: Rule, left: DataFrame, right: DataFrame, forbidden: DataFrame | None
) -> DataFrame:
    """Matches one rule makes among the given unmatched items (MATCH_COLUMNS)."""
    lp, rp = _prepared(left, rule.left_amount), _prepared(right, rule.right_amount)
    lside = _grouped(lp, rule.group_key) if rule.strategy == "many_to_one" else _singles(lp)
    rside = _grouped(rp, rule.group_key) if rule.strategy == "one_to_many" else _singles(rp)
    pairs = _candidates(rule, lside, rside)
    if forbidden is not None and rule.strategy == "one_to_one":
        pairs = pairs.join(
            forbidden.select(F.col("left_id"), F.col("right_id")),
            ["left_id", "right_id"],
            "left_anti",
        )
    return _to_matches(leg, rule, assign(pairs))


def _members(matches: DataFrame, side: str) -> DataFrame:
    return matches.select(F.explode(f"{side}_ids").alias("item_id")).distinct()


def match_leg(
    leg: Leg, left: DataFrame, right: DataFrame, forbidden: DataFrame | None = None
) -> LegMatches:
    """Run the leg's rules in order over the unmatched items."""
    found: DataFrame | None = None
    for rule in leg.rules:
        made = apply_rule(leg, rule, left, right, forbidden).localCheckpoint()
        found = made if found is None else found.unionByName(made)
        left = left.join(_members(made, "left"), "item_id", "left_anti")
        right = right.join(_members(made, "right"), "item_id", "left_anti")
    assert found is not None
    return LegMatches(found, left, right)
