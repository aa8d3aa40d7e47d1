"""gold.decision_outcomes: what the run did with every operator decision it knew.

Grain: one row per ``decision_id`` known by the run's day (arrived and decided by D):
``APPLIED``; ``NOT_APPLIED`` with why (an item gold does not hold on that leg: not
arrived yet or a wrong id; a match whose items a rule or another decision holds; a
write-off of an item that stayed in a matched batch); or ``UNDONE`` (a later decision
replaced it). The table is the run's answer whole; time travel gives any day's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lakehouse.gold.common import RUN_FIELDS, STEP, with_run_columns
from lakehouse.gold.decisions import Decisions
from lakehouse.io import RunContext, TableSpec, merge
from lakehouse.silver.common import MONEY

OUTCOMES = ("APPLIED", "NOT_APPLIED", "UNDONE")

SCHEMA = StructType(
    [
        StructField("decision_id", StringType(), False),
        StructField("action", StringType(), True),
        StructField("leg", StringType(), True),
        StructField("item_ids", ArrayType(StringType()), True),
        StructField("decided_by", StringType(), True),
        StructField("decided_at", TimestampType(), True),
        StructField("reason", StringType(), True),
        StructField("owner", StringType(), True),
        StructField("status", StringType(), True),
        StructField("amount", MONEY, True),
        StructField("outcome", StringType(), True),
        StructField("detail", StringType(), True),
        *RUN_FIELDS,
    ]
)

SPEC = TableSpec(
    layer="gold",
    name="decision_outcomes",
    schema=SCHEMA,
    keys=("decision_id",),
    description="One row per operator decision known by the run: applied, not applied (why) "
    "or undone.",
)

# (leg, item_id) -> (state, rule) of the items decisions name, as gold holds them now
Found = Mapping[tuple[str, str], tuple[str, str | None]]


def named_items(decided: Decisions) -> set[str]:
    return {i for row in decided.rows for i in _items(row)}


def _items(row: Mapping[str, Any]) -> list[str]:
    ids = [*(row.get("left_ids") or []), *(row.get("right_ids") or [])]
    return ids + ([str(row["item_id"])] if row.get("item_id") else [])


def _verdict(row: Mapping[str, Any], decided: Decisions, found: Found) -> tuple[str, str]:
    leg, action, decision_id = str(row["leg"]), str(row["action"]), str(row["decision_id"])
    if action == "match":
        key = (leg, tuple(sorted(row["left_ids"] or [])), tuple(sorted(row["right_ids"] or [])))
        if decided.matches.get(key) != decision_id:
            return "UNDONE", "a later unmatch or match of the same items replaced it"
    if action in ("write_off", "adjust"):
        holder = decided.write_offs.get((leg, str(row["item_id"])))
        if holder != decision_id:
            return "UNDONE", f"replaced by the later decision {holder}"
    items = _items(row)
    missing = [i for i in items if (leg, i) not in found]
    if missing:
        return "NOT_APPLIED", (
            f"not in gold.recon_items for leg {leg}: {', '.join(missing[:5])} "
            "(not arrived by this day, or a wrong id)"
        )
    if action == "match":
        rule = f"manual:{decision_id}"
        held = [i for i in items if found[(leg, i)][1] != rule]
        if held:
            state, other = found[(leg, held[0])]
            return "NOT_APPLIED", f"{held[0]} is {state} by {other or 'no rule'}"
    if action in ("write_off", "adjust"):
        state, by = found[(leg, items[0])]
        if state != "WRITTEN_OFF":
            return "NOT_APPLIED", f"{items[0]} stays {state} ({by or 'no rule'})"
    return "APPLIED", ""


def outcomes(decided: Decisions, found: Found) -> list[dict[str, Any]]:
    """One row per decision known by the run (pure; see the module docstring)."""
    result = []
    for row in decided.rows:
        outcome, detail = _verdict(row, decided, found)
        result.append(
            {
                "decision_id": row["decision_id"],
                "action": row["action"],
                "leg": row["leg"],
                "item_ids": _items(row),
                "decided_by": row.get("decided_by"),
                "decided_at": row.get("decided_at"),
                "reason": row.get("reason"),
                "owner": row.get("owner"),
                "status": row.get("status"),
                "amount": row.get("amount"),
                "outcome": outcome,
                "detail": detail or None,
            }
        )
    return result


def write(rows: DataFrame, ctx: RunContext) -> None:
    """The table is the run's answer whole (decisions are never removed from silver)."""
    merge(with_run_columns(rows, ctx), ctx.settings, SPEC, ctx, step=STEP, delete_scope=F.lit(True))
