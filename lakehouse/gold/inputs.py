"""Where a reconcile run's candidates come from: the silver window, or the previous
close plus what arrived since.

The window is the silver rows that arrived by D with a business date in
``[D - window, D]``, plus any item a decision names. Members of matches made by
earlier days' runs are frozen and left out, so the cost stays flat as history grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse.gold.items import ITEM_COLUMNS, leg_items, leg_return_items
from lakehouse.gold.rules import Leg
from lakehouse.io import RunContext
from lakehouse.silver import bank_transactions, ledger_entries, partner_settlements

SILVER_KEYS = {
    "ledger_entries": (ledger_entries.SPEC, "entry_id"),
    "partner_settlements": (partner_settlements.SPEC, "settlement_id"),
    "bank_transactions": (bank_transactions.SPEC, "bank_txn_id"),
}


def silver_window(
    known: dict[str, DataFrame], ctx: RunContext, low: date, decided_ids: set[str]
) -> dict[str, DataFrame]:
    """The window of each silver table, from ``known``: silver as known by the run's day
    (:func:`lakehouse.gold.snapshot.silver_as_known_by`)."""
    frames = {}
    for name, (_, key) in SILVER_KEYS.items():
        df = known[name].where(F.col("_arrival_date") <= F.lit(ctx.as_of))
        in_window = F.coalesce(
            F.col("business_date").between(F.lit(low), F.lit(ctx.as_of)), F.lit(False)
        )
        # not cached: each leg reads only its item columns once (localCheckpoint), and
        # caching whole silver rows filled the driver heap at 1M events a day
        frames[name] = df.where(in_window)
        if decided_ids:
            # Two reads, not one "window OR decided key" filter: a disjunction with a
            # non-partition column prunes no business_date partition, so every decision
            # would make each run read all of silver's history.
            decided = df.where(~in_window & F.col(key).isin(*sorted(decided_ids)))
            frames[name] = frames[name].unionByName(decided)
    return frames


def members(matches: DataFrame) -> DataFrame:
    return matches.select(
        "leg", F.explode(F.concat("left_ids", "right_ids")).alias("item_id")
    ).distinct()


@dataclass
class LegInputs:
    """A leg's items for the run.

    ``left`` / ``right`` / ``returns`` are the open candidates (item columns, not
    members of a frozen match); ``left_window`` / ``right_window`` are every item of
    the side in the window, frozen or not, read only through lookups by reference or
    id (duplicates, the items a return names, write-offs).
    """

    left: DataFrame
    right: DataFrame
    returns: DataFrame | None
    left_window: DataFrame
    right_window: DataFrame


def full_inputs(leg: Leg, silver: dict[str, DataFrame], frozen_members: DataFrame) -> LegInputs:
    """Candidates from the whole window: every item minus the members of frozen matches."""
    # Materialise the leg's items once (item columns only): the rule rounds read them
    # many times, and re-reading silver each time dominated at 1M events a day.
    left_all, right_all = (side.localCheckpoint() for side in leg_items(leg, silver))
    leg_frozen = frozen_members.where(F.col("leg") == leg.name).select("item_id")
    returns = leg_return_items(leg, silver)
    return LegInputs(
        left=left_all.join(leg_frozen, "item_id", "left_anti"),
        right=right_all.join(leg_frozen, "item_id", "left_anti"),
        returns=None if returns is None else returns.join(leg_frozen, "item_id", "left_anti"),
        left_window=left_all,
        right_window=right_all,
    )


def incremental_inputs(
    leg: Leg,
    silver: dict[str, DataFrame],
    previous: DataFrame,
    fresh: dict[str, DataFrame],
    fetched: dict[str, DataFrame] | None,
    frozen_members: DataFrame | None,
) -> LegInputs:
    """Candidates from the previous close: what it left open (``previous``, this leg's
    gold._open_items rows inside the window), the silver rows it had not seen
    (``fresh``), and the items decisions name or thaw (``fetched``, minus the members
    of ``frozen_members`` matches). Equal to :func:`full_inputs` without reading the
    whole window into the match."""
    new_left, new_right = leg_items(leg, fresh)
    new_returns = leg_return_items(leg, fresh)
    got: tuple[DataFrame | None, DataFrame | None, DataFrame | None] = (None, None, None)
    if fetched is not None:
        assert frozen_members is not None
        leg_frozen = F.broadcast(frozen_members.where(F.col("leg") == leg.name).select("item_id"))
        got_left, got_right = leg_items(leg, fetched)
        got_returns = leg_return_items(leg, fetched)
        got = tuple(  # type: ignore[assignment]
            None if df is None else df.join(leg_frozen, "item_id", "left_anti").localCheckpoint()
            for df in (got_left, got_right, got_returns)
        )

    def side(kind: str, new: DataFrame | None, fetched_side: DataFrame | None) -> DataFrame | None:
        mine = (F.col("leg") == leg.name) & (F.col("kind") == kind)
        before = previous.where(mine).select(*ITEM_COLUMNS)
        if new is None:
            return None
        if fetched_side is None:
            return new.unionByName(before)
        ids = F.broadcast(fetched_side.select("item_id"))
        return fetched_side.unionByName(new.join(ids, "item_id", "left_anti")).unionByName(
            before.join(ids, "item_id", "left_anti")
        )

    left = side("left", new_left, got[0])
    right = side("right", new_right, got[1])
    returns = side("return", new_returns, got[2])
    assert left is not None and right is not None
    window_left, window_right = leg_items(leg, silver)
    return LegInputs(
        left=left.localCheckpoint(),
        right=right.localCheckpoint(),
        returns=returns,
        left_window=window_left,
        right_window=window_right,
    )


def fetched(silver: dict[str, DataFrame], ids: set[str]) -> dict[str, DataFrame] | None:
    """The silver window rows with these keys (items decisions name or thaw)."""
    if not ids:
        return None
    wanted = sorted(ids)
    return {
        name: df.where(F.col(SILVER_KEYS[name][1]).isin(*wanted)) for name, df in silver.items()
    }
