"""Rule-driven matching of one leg, set-based (joins and windows, no UDFs).

For each rule in order, candidate pairs come from an equi-join on the rule's
blocking keys: its equality keys, the reference a pattern extracts from the right
text (``extract``) or each word of that text (``contains``), and amount bands
(``amount_within``); then the date window, reference test, currency and amount
tolerance filter them. Among candidates, a pair is taken when it is the best for
both of its sides (score desc, date distance asc, then the other side's id asc);
this repeats a few rounds so second-best pairs are found once the best are taken.
The result is deterministic and every item belongs to at most one match. Items
taken by a rule are removed before the next rule runs. Every match records the
result of each test of its rule (``lakehouse.gold.criteria``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

from lakehouse.constants import FOUND_IN_TEXT, MATCH_ROUNDS
from lakehouse.gold.criteria import criteria, fee_pct, within_tolerance
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
    "criteria",
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


REF_KEY = "__ref_key"
BAND = "__band"


def pattern_group(pattern: str) -> int:
    """The group a pattern extracts: its first capturing group, or the whole match."""
    return 1 if re.compile(pattern).groups else 0


def tokens(text: Column) -> Column:
    """The words of a text, upper-cased: runs of letters, digits, ``_`` and ``-``."""
    words = F.split(F.upper(F.regexp_replace(text, r"[^A-Za-z0-9_\-]+", " ")), " ")
    return F.array_distinct(F.filter(words, lambda w: w != ""))


def _norm(value: Column) -> Column:
    return F.upper(F.trim(value))


def _reference_keys(rule: Rule, left: DataFrame, right: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Sides with ``REF_KEY``, the join key of the reference tests that have one: the
    reference extracted by ``pattern`` (``extract``) or every word of the right text
    (``contains``); items without one cannot pair and are dropped."""
    if rule.reference == "extract":
        lkey = _norm(F.col("reference"))
        if rule.left_pattern:
            lkey = F.regexp_extract(
                F.upper(F.col("reference")), rule.left_pattern, pattern_group(rule.left_pattern)
            )
        rkey = F.regexp_extract(F.upper(F.col("text")), rule.pattern, pattern_group(rule.pattern))
        left, right = left.withColumn(REF_KEY, lkey), right.withColumn(REF_KEY, rkey)
    elif rule.reference == "contains":
        left = left.withColumn(REF_KEY, _norm(F.col("reference")))
        right = right.withColumn(REF_KEY, F.explode(tokens(F.col("text"))))
    else:
        return left, right
    usable = F.col(REF_KEY).isNotNull() & (F.col(REF_KEY) != "")
    return left.where(usable), right.where(usable)


def band_cents(amount_within: float) -> int:
    """The width of an amount band in cents."""
    return round(amount_within * 100)


def _bands(rule: Rule, left: DataFrame, right: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Sides with ``BAND`` when the rule blocks on ``amount_within``: the right item's
    amount band, and the left item's band and both neighbours, so that an equi-join
    finds every pair whose amounts differ by at most the band width. Bands are whole
    multiples of the width in integer cents (floor division, exact for any amount)."""
    if not rule.amount_within:
        return left, right
    width = band_cents(rule.amount_within)
    cents = "CAST(cmp_amount * 100 AS BIGINT)"
    band = F.expr(f"({cents} - pmod({cents}, {width})) div {width}")
    neighbours = F.explode(F.array(band - 1, band, band + 1))
    return left.withColumn(BAND, neighbours), right.withColumn(BAND, band)


def _reference_score(rule: Rule, left: Column, right: Column) -> Column:
    """The reference test of a joined pair: its score in (0, 1], NULL when it fails."""
    if rule.reference == "equals":
        return F.when(_norm(left) == _norm(right), F.lit(1.0))
    if rule.reference in ("contains", "extract"):
        return F.lit(FOUND_IN_TEXT)  # the join on REF_KEY is the test
    if rule.reference == "prefix":
        lref, rref = _norm(left), _norm(right)
        left_shorter = F.length(lref) <= F.length(rref)
        short = F.when(left_shorter, lref).otherwise(rref)
        long = F.when(left_shorter, rref).otherwise(lref)
        ok = (F.length(short) >= F.lit(rule.min_prefix)) & long.startswith(short)
        return F.when(ok, F.length(short) / F.length(long))
    if rule.reference == "similarity":
        lref, rref = _norm(left), _norm(right)
        longest = F.greatest(F.length(lref), F.length(rref), F.lit(1))
        sim = F.lit(1.0) - F.levenshtein(lref, rref) / longest
        return F.when(sim >= F.lit(rule.similarity), sim)
    return F.lit(1.0)


def pair_reference_score(rule: Rule, left: Column, right: Column, right_text: Column) -> Column:
    """The reference test on any pair (not only a pair the rule's join found): the
    extracted reference or the words of the text are compared here, not joined."""
    if rule.reference == "extract":
        lkey = _norm(left)
        if rule.left_pattern:
            group = pattern_group(rule.left_pattern)
            lkey = F.regexp_extract(F.upper(left), rule.left_pattern, group)
        rkey = F.regexp_extract(F.upper(right_text), rule.pattern, pattern_group(rule.pattern))
        return F.when((lkey != "") & (lkey == rkey), F.lit(FOUND_IN_TEXT))
    if rule.reference == "contains":
        needle = _norm(left)
        found = (F.length(needle) > 0) & F.array_contains(tokens(right_text), needle)
        return F.when(found, F.lit(FOUND_IN_TEXT))
    return _reference_score(rule, left, right)


def _key_text(rule: Rule, side: str) -> Column:
    """The equality key values of one side, as text (``; `` between keys); NULL when
    there are none or they are the references themselves (the criteria take those)."""
    columns = [pair[0 if side == "l" else 1] for pair in rule.equal]
    if not columns or rule.equal == (("reference", "reference"),):
        return F.lit(None).cast("string")
    return F.concat_ws("; ", *[F.col(f"{side}.{c}").cast("string") for c in columns])


def _candidates(rule: Rule, left: DataFrame, right: DataFrame) -> DataFrame:
    left, right = _reference_keys(rule, left, right)
    left, right = _bands(rule, left, right)
    lhs, rhs = left.alias("l"), right.alias("r")
    condition: Column = F.lit(True)
    ltypes, rtypes = dict(left.dtypes), dict(right.dtypes)
    for left_col, right_col in rule.equal:
        lcol, rcol = F.col(f"l.{left_col}"), F.col(f"r.{right_col}")
        if ltypes[left_col] == rtypes[right_col] == "string":
            # references travel through banks and partners: case and padding are noise
            lcol, rcol = _norm(lcol), _norm(rcol)
        condition = condition & (lcol == rcol)
    for key in (REF_KEY, BAND):
        if key in ltypes:
            condition = condition & (F.col(f"l.{key}") == F.col(f"r.{key}"))
    pairs = lhs.join(rhs, condition, "inner")
    days = F.datediff(F.col("r.business_date"), F.col("l.business_date"))
    ref_score = _reference_score(rule, F.col("l.reference"), F.col("r.reference"))
    diff = (F.col("r.cmp_amount") - F.col("l.cmp_amount")).cast("decimal(20,2)")
    within = within_tolerance(rule, F.col("l.cmp_amount"), F.col("r.cmp_amount"))
    same_currency = F.col("l.currency") == F.col("r.currency")
    accepted = days.between(rule.date_min, rule.date_max) & ref_score.isNotNull()
    if rule.currency:
        accepted = accepted & same_currency
    if rule.outcome == "MATCHED":
        accepted = accepted & within
    if rule.amount_within:
        accepted = accepted & (F.abs(diff) <= F.lit(Decimal(str(rule.amount_within))))
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
        (ref_score.cast("double") * (F.lit(1.0) - penalty.cast("double"))).alias("score"),
        within.alias("within_tolerance"),
        # what the criteria of the chosen pairs are made of
        _key_text(rule, "l").alias("left_keys"),
        _key_text(rule, "r").alias("right_keys"),
        F.col("l.business_date").alias("left_date"),
        F.col("r.business_date").alias("right_date"),
        F.col("l.reference").alias("left_reference"),
        F.col("r.reference").alias("right_reference"),
        (
            F.col("r.text")
            if rule.reference in ("contains", "extract")
            else F.lit(None).cast("string")
        ).alias("right_text"),
        ref_score.cast("double").alias("ref_score"),
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
    reason = F.when(
        F.col("left_currency") != F.col("right_currency"), F.lit("CURRENCY_MISMATCH")
    ).when(~F.col("within_tolerance"), F.lit("AMOUNT_MISMATCH"))
    if rule.max_fee_pct is not None:
        too_high = fee_pct(F.col("right_fee"), F.col("right_amount")) > F.lit(rule.max_fee_pct)
        reason = reason.when(too_high, F.lit("FEE_VARIANCE"))
    return reason


def _status(rule: Rule, reason: Column) -> Column:
    """SUGGESTED for a suggesting rule; else MATCHED, or PARTIAL with a break."""
    if rule.outcome == "SUGGESTED":
        return F.lit("SUGGESTED")
    return F.when(reason.isNull(), F.lit("MATCHED")).otherwise(F.lit("PARTIAL"))


def _to_matches(leg: Leg, rule: Rule, chosen: DataFrame) -> DataFrame:
    reason = _reason(rule)
    return chosen.select(
        match_id(F.lit(leg.name), F.col("left_ids"), F.col("right_ids")).alias("match_id"),
        F.lit(leg.name).alias("leg"),
        F.lit(rule.name).alias("rule"),
        F.lit(rule.strategy).alias("strategy"),
        _status(rule, reason).alias("status"),
        reason.alias("reason_code"),
        F.array_sort("left_ids").alias("left_ids"),
        F.array_sort("right_ids").alias("right_ids"),
        F.col("left_amount").cast(MONEY).alias("left_amount"),
        F.col("right_amount").cast(MONEY).alias("right_amount"),
        F.col("difference").cast(MONEY).alias("difference"),
        F.col("left_currency").alias("currency"),
        F.round(F.greatest(F.col("score"), F.lit(0.0)), 4).alias("confidence"),
        F.col("business_date"),
        criteria(rule).alias("criteria"),
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
    """Run the leg's rules in order over the unmatched items.

    What a rule leaves is materialised once for the next rule (not re-derived by each),
    and the rules stop as soon as either side has nothing left: the fallback rules of
    a leg whose exact rules matched everything cost nothing. After the first rule, a
    rule that made no match leaves both sides as the previous rule materialised them.
    """
    found: DataFrame | None = None
    for index, rule in enumerate(leg.rules):
        made = apply_rule(leg, rule, left, right, forbidden).localCheckpoint()
        found = made if found is None else found.unionByName(made)
        if index > 0 and made.isEmpty():
            continue  # both sides stay as the previous rule left them, materialised
        left = left.join(_members(made, "left"), "item_id", "left_anti")
        right = right.join(_members(made, "right"), "item_id", "left_anti")
        if index + 1 < len(leg.rules):
            right = right.localCheckpoint()
            if right.isEmpty():
                break
            left = left.localCheckpoint()
            if left.isEmpty():
                break
    assert found is not None
    return LegMatches(found, left, right)
