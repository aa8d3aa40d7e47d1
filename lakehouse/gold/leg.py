"""One leg of one run: decisions, returns, rules, then a state for every candidate.

1. Write-offs and manual matches known by D apply first; unmatches forbid a pair.
2. Returns (``lakehouse.gold.returns``) reverse the match of the item they name: both
   become EXCEPTION / RETURNED, linked by a REVERSED match.
3. The leg's rules run in order (``lakehouse.gold.matching``); the members of a
   SUGGESTED match stay EXCEPTION until an operator confirms or rejects the pair.
4. Unmatched items become DUPLICATE (their reference is already matched), PENDING
   (inside the settlement window) or EXCEPTION with the leg's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.constants import SUGGESTED, SUGGESTED_MATCH
from lakehouse.gold import open_items
from lakehouse.gold.decisions import Decisions, manual_matches
from lakehouse.gold.inputs import LegInputs
from lakehouse.gold.matching import MATCH_COLUMNS, match_leg
from lakehouse.gold.returns import reversal_matches
from lakehouse.gold.rules import Leg


@dataclass
class LegOutcome:
    leg: Leg
    items: DataFrame
    matches: DataFrame
    open_items: DataFrame  # gold._open_items rows: what the next day starts from
    left_open: DataFrame  # the items of each side the run left unmatched
    right_open: DataFrame


def _pending_days(leg: Leg) -> Column:
    days: Column = F.lit(leg.pending_days)
    for partner, window in leg.pending_days_by_partner.items():
        days = F.when(F.col("partner") == partner, F.lit(window)).otherwise(days)
    return days


def _unmatched_states(
    leg: Leg, side: str, unmatched: DataFrame, window: DataFrame, as_of: date
) -> DataFrame:
    """DUPLICATE when another item of the side in the window (``window``: matched,
    frozen or written off, anything but unmatched) has the same reference, else
    PENDING or EXCEPTION."""
    refs = (
        unmatched.where(F.col("reference").isNotNull())
        .select(F.upper("reference").alias("__ref"))
        .distinct()
    )
    # the window is only probed for the references of today's unmatched items: a
    # broadcast semi-join reads it once and never shuffles it
    sharing = window.select("item_id", F.upper("reference").alias("__ref")).join(
        F.broadcast(refs), "__ref", "left_semi"
    )
    matched_refs = (
        sharing.join(unmatched.select("item_id"), "item_id", "left_anti")
        .select("__ref")
        .distinct()
        .withColumn("__dup", F.lit(True))
    )
    flagged = unmatched.join(
        matched_refs, F.upper(unmatched["reference"]) == matched_refs["__ref"], "left"
    )
    age = F.datediff(F.lit(as_of), F.col("business_date"))
    missing = leg.right_unmatched_reason if side == "right" else "MISSING_COUNTERPART"
    state = (
        F.when(F.col("__dup"), F.lit("EXCEPTION"))
        .when(age <= _pending_days(leg), F.lit("PENDING"))
        .otherwise(F.lit("EXCEPTION"))
    )
    reason = (
        F.when(F.col("__dup"), F.lit("DUPLICATE"))
        .when(age <= _pending_days(leg), F.lit(None).cast("string"))
        .otherwise(F.lit(missing))
    )
    return flagged.select(
        *[F.col(c) for c in unmatched.columns],
        state.alias("state"),
        reason.alias("reason_code"),
        F.lit(None).cast("string").alias("match_id"),
        F.lit(None).cast("string").alias("rule"),
    )


def _matched_states(items: DataFrame, matches: DataFrame) -> DataFrame:
    """Members take their match's status; a suggestion's members stay open breaks
    (EXCEPTION with the break it would have, or SUGGESTED_MATCH) until confirmed."""
    suggested = F.col("status") == SUGGESTED
    members = matches.select(
        F.explode(F.concat("left_ids", "right_ids")).alias("item_id"),
        F.col("match_id"),
        F.when(suggested, F.lit("EXCEPTION")).otherwise(F.col("status")).alias("state"),
        F.when(suggested, F.coalesce("reason_code", F.lit(SUGGESTED_MATCH)))
        .otherwise(F.col("reason_code"))
        .alias("reason_code"),
        F.col("rule"),
    )
    return items.join(members, "item_id")


def _state_rows(items: DataFrame, state: str, rule: str | None = None) -> DataFrame:
    return items.select(
        *items.columns,
        F.lit(state).alias("state"),
        F.lit(None).cast("string").alias("reason_code"),
        F.lit(None).cast("string").alias("match_id"),
        F.lit(rule).cast("string").alias("rule"),
    )


def _named_by(left: DataFrame, returns: DataFrame) -> DataFrame:
    """The left items whose reference a return names (a broadcast lookup, no shuffle)."""
    refs = returns.select(F.upper(F.trim("reference")).alias("__ref")).distinct()
    keyed = left.withColumn("__ref", F.upper(F.trim("reference")))
    return keyed.join(F.broadcast(refs), "__ref", "left_semi").drop("__ref")


def reconcile_leg(
    spark: SparkSession,
    leg: Leg,
    inputs: LegInputs,
    decisions: Decisions,
    as_of: date,
) -> LegOutcome:
    left = inputs.left.withColumn("side", F.lit("left"))
    right = inputs.right.withColumn("side", F.lit("right"))
    right_window = inputs.right_window

    # Returns reverse the match of the item they name, frozen or not; a return that
    # names nothing known stays an ordinary right item.
    reversals: DataFrame | None = None
    open_returns: DataFrame | None = None
    orphans: DataFrame | None = None
    named: DataFrame | None = None
    if leg.returns is not None and inputs.returns is not None:
        open_returns = inputs.returns.localCheckpoint()
        named = _named_by(inputs.left_window, open_returns).localCheckpoint()
        reversals = reversal_matches(leg.name, leg.returns, named, open_returns)
        reversals = reversals.localCheckpoint()
        orphans = open_returns.join(
            reversals.select(F.explode("right_ids").alias("item_id")), "item_id", "left_anti"
        )
        right = right.unionByName(orphans.withColumn("side", F.lit("right")))
        right_window = right_window.unionByName(orphans)

    written_off = {item for (name, item) in decisions.write_offs if name == leg.name}
    off = F.col("item_id").isin(*sorted(written_off)) if written_off else F.lit(False)
    # a write-off applies to the item wherever it is, even inside a frozen match
    w_items = (
        inputs.left_window.withColumn("side", F.lit("left"))
        .where(off)
        .unionByName(right_window.withColumn("side", F.lit("right")).where(off))
    )
    left, right = left.where(~off), right.where(~off)
    # every open candidate gets a state, including those an operator matched by hand
    candidates = left.unionByName(right)

    matches = []
    manual = manual_matches(spark, leg, decisions, left, right)
    if manual is not None:
        manual = manual.localCheckpoint()
        matches.append(manual)
        taken = manual.select(F.explode(F.concat("left_ids", "right_ids")).alias("item_id"))
        left = left.join(taken, "item_id", "left_anti")
        right = right.join(taken, "item_id", "left_anti")
    forbidden_rows = [(lid, rid) for (name, lid, rid) in decisions.forbidden if name == leg.name]
    forbidden = (
        spark.createDataFrame(forbidden_rows, "left_id string, right_id string")
        if forbidden_rows
        else None
    )
    result = match_leg(leg, left.drop("side"), right.drop("side"), forbidden)
    matches.append(result.matches)
    all_matches = reduce(DataFrame.unionByName, matches).localCheckpoint()

    matched = _matched_states(candidates, all_matches)
    # what the rules left, as they materialised it: not joined back to the inputs
    left_open, right_open = (
        unmatched.withColumn("side", F.lit(side)).select(*frame.columns).localCheckpoint()
        for side, unmatched, frame in (
            ("left", result.left_unmatched, left),
            ("right", result.right_unmatched, right),
        )
    )
    states = [
        matched,
        _unmatched_states(leg, "left", left_open, inputs.left_window, as_of),
        _unmatched_states(leg, "right", right_open, right_window, as_of),
    ]
    still_open = [("left", left_open), ("right", right_open)]
    if reversals is not None and open_returns is not None and named is not None:
        # the reversal outranks whatever matched the returned item today
        reversed_items = (
            _reversed_states(named, open_returns, reversals).where(~off).localCheckpoint()
        )
        reversed_ids = F.broadcast(reversed_items.select("item_id"))
        states = [s.join(reversed_ids, "item_id", "left_anti") for s in states]
        states.append(reversed_items)
        still_open = [(k, df.join(reversed_ids, "item_id", "left_anti")) for k, df in still_open]
        all_matches = all_matches.unionByName(reversals.select(*all_matches.columns))
    adjusted = sorted(item for (name, item) in decisions.adjusted if name == leg.name)
    closed_by_hand = _state_rows(w_items, "WRITTEN_OFF", "manual:write_off")
    if adjusted:  # an adjusting entry closes the item as a write-off does, named apart
        by_adjust = F.col("item_id").isin(*adjusted)
        closed_by_hand = closed_by_hand.withColumn(
            "rule", F.when(by_adjust, F.lit("manual:adjust")).otherwise(F.col("rule"))
        )
    states.append(closed_by_hand)
    items = reduce(DataFrame.unionByName, states).withColumn("leg", F.lit(leg.name))
    return LegOutcome(
        leg,
        items,
        all_matches.select(*MATCH_COLUMNS),
        _open_rows(leg.name, still_open, orphans, as_of),
        still_open[0][1],
        still_open[1][1],
    )


def _open_rows(
    leg: str, still_open: list[tuple[str, DataFrame]], orphans: DataFrame | None, as_of: date
) -> DataFrame:
    """The leg's items left without a match, as gold._open_items rows; an unpaired
    return stays a return (it is tried against the left items again tomorrow)."""
    frames = []
    for kind, df in still_open:
        if kind == "right" and orphans is not None:
            ids = F.broadcast(orphans.select("item_id"))
            returned = df.join(ids, "item_id", "left_semi")
            frames.append(open_items.transform(leg, "return", returned, as_of))
            df = df.join(ids, "item_id", "left_anti")
        frames.append(open_items.transform(leg, kind, df, as_of))
    return reduce(DataFrame.unionByName, frames)


def _reversed_states(left: DataFrame, returns: DataFrame, reversals: DataFrame) -> DataFrame:
    """Both members of each REVERSED match: EXCEPTION with the match's reason."""
    members = reversals.select(
        F.explode(F.concat("left_ids", "right_ids")).alias("item_id"),
        "match_id",
        "reason_code",
        "rule",
    )
    sides = left.withColumn("side", F.lit("left")).unionByName(
        returns.withColumn("side", F.lit("right"))
    )
    joined = sides.join(F.broadcast(members), "item_id")  # a few per thousand items
    return joined.select(
        *sides.columns,
        F.lit("EXCEPTION").alias("state"),
        "reason_code",
        "match_id",
        "rule",
    )
