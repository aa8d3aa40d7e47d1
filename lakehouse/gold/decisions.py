"""Manual decisions as the reconcile step applies them.

Operators' decisions (``silver.manual_decisions``) known by the run's day are folded
in decision order: a later unmatch undoes a match. Write-offs, adjustments, forced
matches and unmatches apply before the rules; a match a decision names or forbids is
reopened (thawed) even when an earlier day made it. Assignments, comments and statuses
fold into each item's workflow (owner, status, last note) for ``gold.exception_queue``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.gold.criteria import CRITERIA
from lakehouse.gold.matching import match_id
from lakehouse.gold.rules import Leg
from lakehouse.io import RunContext, read
from lakehouse.silver import manual_decisions
from lakehouse.silver.common import MONEY


@dataclass
class ItemWorkflow:
    """An item's place in the exception queue as its decisions left it."""

    owner: str | None = None
    status: str = "OPEN"
    last_note: str | None = None
    last_note_by: str | None = None
    last_note_at: Any = None
    notes: int = 0


@dataclass
class Decisions:
    """Manual decisions known by D, folded in decision order.

    ``write_offs`` holds write-offs and adjustments (both close the item; ``adjusted``
    says which were adjustments); ``rows`` every decision known by D, in order.
    """

    matches: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = field(default_factory=dict)
    forbidden: set[tuple[str, str, str]] = field(default_factory=set)
    write_offs: dict[tuple[str, str], str] = field(default_factory=dict)
    adjusted: set[tuple[str, str]] = field(default_factory=set)
    workflow: dict[tuple[str, str], ItemWorkflow] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def by_id(self) -> dict[str, dict[str, Any]]:
        return {str(r["decision_id"]): r for r in self.rows}

    @property
    def item_ids(self) -> set[str]:
        ids = {item for _, item in self.write_offs}
        for _, left, right in self.matches:
            ids.update(left)
            ids.update(right)
        for _, left_id, right_id in self.forbidden:
            ids.update((left_id, right_id))
        return ids


def fold_decisions(rows: list[dict[str, Any]]) -> Decisions:
    """Apply decisions in (decided_at, decision_id) order: a later unmatch undoes a match."""
    folded = Decisions()
    ordered = sorted(rows, key=lambda r: (str(r["decided_at"]), str(r["decision_id"])))
    for row in ordered:
        leg = str(row["leg"])
        left = tuple(sorted(row["left_ids"] or []))
        right = tuple(sorted(row["right_ids"] or []))
        pairs = {(leg, lid, rid) for lid in left for rid in right}
        if row["action"] == "match":
            folded.matches[(leg, left, right)] = str(row["decision_id"])
            folded.forbidden -= pairs
        elif row["action"] == "unmatch":
            folded.matches.pop((leg, left, right), None)
            folded.forbidden |= pairs
        elif row["action"] in ("write_off", "adjust"):
            key = (leg, str(row["item_id"]))
            folded.write_offs[key] = str(row["decision_id"])
            if row["action"] == "adjust":
                folded.adjusted.add(key)
            else:
                folded.adjusted.discard(key)
        else:
            _fold_workflow(folded, row)
    folded.rows = ordered
    return folded


def _fold_workflow(folded: Decisions, row: dict[str, Any]) -> None:
    """assign sets the owner (an OPEN break becomes ASSIGNED), status the status,
    comment the last note."""
    if row["action"] not in ("assign", "status", "comment"):
        return
    flow = folded.workflow.setdefault((str(row["leg"]), str(row["item_id"])), ItemWorkflow())
    if row["action"] == "assign":
        flow.owner = row.get("owner")
        if flow.status == "OPEN":
            flow.status = "ASSIGNED"
    elif row["action"] == "status":
        flow.status = str(row.get("status"))
    else:
        flow.last_note = row.get("reason")
        flow.last_note_by = row.get("decided_by")
        flow.last_note_at = row.get("decided_at")
        flow.notes += 1


def load(spark: SparkSession, ctx: RunContext, known: DataFrame | None = None) -> Decisions:
    """The decisions known by the run's day: ``known`` is silver.manual_decisions as known
    by it (default: the current table)."""
    table = known if known is not None else read(spark, ctx.settings, manual_decisions.SPEC)
    rows = (
        table.where(F.col("_arrival_date") <= F.lit(ctx.as_of))
        .where(F.to_date("decided_at") <= F.lit(ctx.as_of))
        .collect()
    )
    return fold_decisions([r.asDict() for r in rows])


def touches(ids: set[str]) -> Column:
    if not ids:
        return F.lit(False)
    return F.arrays_overlap(
        F.concat("left_ids", "right_ids"), F.array(*[F.lit(i) for i in sorted(ids)])
    )


def thawed(decisions: Decisions) -> Column:
    """Which earlier matches a decision known by D reopens: any it pairs or unpairs.

    A write-off thaws only a break (PARTIAL or REVERSED match): writing off one member
    of a MATCHED batch must not take the batch apart.
    """
    pairing = {i for _, left, right in decisions.matches for i in (*left, *right)}
    pairing |= {i for _, lid, rid in decisions.forbidden for i in (lid, rid)}
    written_off = {item for _, item in decisions.write_offs}
    return touches(pairing) | (touches(written_off) & (F.col("status") != "MATCHED"))


def manual_matches(
    spark: SparkSession, leg: Leg, decisions: Decisions, left: DataFrame, right: DataFrame
) -> DataFrame | None:
    rows = [
        (decision_id, side, item_id)
        for (leg_name, lids, rids), decision_id in decisions.matches.items()
        if leg_name == leg.name
        for side, ids in (("left", lids), ("right", rids))
        for item_id in ids
    ]
    if not rows:
        return None
    wanted = spark.createDataFrame(rows, "decision_id string, side string, item_id string")
    items = left.withColumn("side", F.lit("left")).unionByName(
        right.withColumn("side", F.lit("right"))
    )
    found = wanted.join(items, ["side", "item_id"])
    is_left = F.col("side") == "left"
    grouped = found.groupBy("decision_id").agg(
        F.array_sort(F.collect_list(F.when(is_left, F.col("item_id")))).alias("left_ids"),
        F.array_sort(F.collect_list(F.when(~is_left, F.col("item_id")))).alias("right_ids"),
        F.sum(F.when(is_left, F.col("amount"))).cast(MONEY).alias("left_amount"),
        F.sum(F.when(~is_left, F.col("amount"))).cast(MONEY).alias("right_amount"),
        F.min(F.when(is_left, F.col("currency"))).alias("currency"),
        F.min("business_date").alias("business_date"),
    )
    return grouped.select(
        match_id(F.lit(leg.name), F.col("left_ids"), F.col("right_ids")).alias("match_id"),
        F.lit(leg.name).alias("leg"),
        F.concat(F.lit("manual:"), F.col("decision_id")).alias("rule"),
        F.lit("manual").alias("strategy"),
        F.lit("MATCHED").alias("status"),
        F.lit(None).cast("string").alias("reason_code"),
        "left_ids",
        "right_ids",
        "left_amount",
        "right_amount",
        (F.col("right_amount") - F.col("left_amount")).cast(MONEY).alias("difference"),
        "currency",
        F.lit(1.0).alias("confidence"),
        "business_date",
        # an operator's decision, not a rule's tests: who, when and why are in
        # silver.manual_decisions under the decision id the rule names
        F.array().cast(CRITERIA).alias("criteria"),
    )
