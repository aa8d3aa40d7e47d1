"""The reconcile step: silver -> gold for business day D, as known by D.

1. Items: silver rows that arrived by D with a business date in ``[D - window, D]``
   (plus any item an operator decided on), minus members of matches made by earlier
   days' runs (those are frozen, so the cost stays flat as history grows).
2. Manual decisions known by D apply first: write-offs, forced matches, and
   unmatches that forbid a pair and unfreeze its match (a write-off unfreezes only
   a break, never a MATCHED batch).
3. Returns (``lakehouse.gold.returns``) reverse the match of the item they name:
   both become EXCEPTION / RETURNED, linked by a REVERSED match.
4. Each leg's rules run in order (``lakehouse.gold.matching``).
5. Unmatched items become DUPLICATE (their reference is already matched), PENDING
   (inside the settlement window) or EXCEPTION with the leg's reason.
6. MERGE into recon_matches and recon_items; recon_exceptions, aging and
   daily_summary are derived from recon_items. Every commit records the run id and
   the as-of date; re-running D changes no business column.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import reduce

from pyspark.sql import Column, DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from lakehouse.config import Settings
from lakehouse.gold import (
    aging,
    daily_summary,
    open_items,
    recon_exceptions,
    recon_items,
    recon_matches,
)
from lakehouse.gold.common import OPEN_STATES
from lakehouse.gold.items import ITEM_COLUMNS, leg_items, leg_return_items
from lakehouse.gold.matching import MATCH_COLUMNS, match_id, match_leg
from lakehouse.gold.returns import reversal_matches
from lakehouse.gold.rules import Leg, load_legs
from lakehouse.io import (
    RunContext,
    conform,
    delete_where,
    ensure_table,
    history,
    is_delta_table,
    merge,
    read,
    replace_where,
    table_path,
)
from lakehouse.silver import (
    bank_transactions,
    ledger_entries,
    manual_decisions,
    partner_settlements,
)
from lakehouse.silver.common import MONEY
from lakehouse.silver.refine import REFINE_STATE

log = logging.getLogger(__name__)

SILVER_KEYS = {
    "ledger_entries": (ledger_entries.SPEC, "entry_id"),
    "partner_settlements": (partner_settlements.SPEC, "settlement_id"),
    "bank_transactions": (bank_transactions.SPEC, "bank_txn_id"),
}


@dataclass
class Decisions:
    """Manual decisions known by D, folded in decision order."""

    matches: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = field(default_factory=dict)
    forbidden: set[tuple[str, str, str]] = field(default_factory=set)
    write_offs: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def item_ids(self) -> set[str]:
        ids = {item for _, item in self.write_offs}
        for _, left, right in self.matches:
            ids.update(left)
            ids.update(right)
        for _, left_id, right_id in self.forbidden:
            ids.update((left_id, right_id))
        return ids


def fold_decisions(rows: list[dict[str, object]]) -> Decisions:
    """Apply decisions in (decided_at, decision_id) order: a later unmatch undoes a match."""
    folded = Decisions()
    ordered = sorted(rows, key=lambda r: (str(r["decided_at"]), str(r["decision_id"])))
    for row in ordered:
        leg = str(row["leg"])
        left = tuple(sorted(row["left_ids"] or []))  # type: ignore[call-overload]
        right = tuple(sorted(row["right_ids"] or []))  # type: ignore[call-overload]
        pairs = {(leg, lid, rid) for lid in left for rid in right}
        if row["action"] == "match":
            folded.matches[(leg, left, right)] = str(row["decision_id"])
            folded.forbidden -= pairs
        elif row["action"] == "unmatch":
            folded.matches.pop((leg, left, right), None)
            folded.forbidden |= pairs
        elif row["action"] == "write_off":
            folded.write_offs[(leg, str(row["item_id"]))] = str(row["decision_id"])
    return folded


def _silver_window(
    spark: SparkSession, ctx: RunContext, low: date, decided_ids: set[str]
) -> dict[str, DataFrame]:
    frames = {}
    for name, (spec, key) in SILVER_KEYS.items():
        df = read(spark, ctx.settings, spec).where(F.col("_arrival_date") <= F.lit(ctx.as_of))
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


def _decisions(spark: SparkSession, ctx: RunContext) -> Decisions:
    rows = (
        read(spark, ctx.settings, manual_decisions.SPEC)
        .where(F.col("_arrival_date") <= F.lit(ctx.as_of))
        .where(F.to_date("decided_at") <= F.lit(ctx.as_of))
        .collect()
    )
    return fold_decisions([r.asDict() for r in rows])


def _touches(ids: set[str]) -> Column:
    if not ids:
        return F.lit(False)
    return F.arrays_overlap(
        F.concat("left_ids", "right_ids"), F.array(*[F.lit(i) for i in sorted(ids)])
    )


def _thawed(decisions: Decisions) -> Column:
    """Which earlier matches a decision known by D reopens: any it pairs or unpairs.

    A write-off thaws only a break (PARTIAL or REVERSED match): writing off one member
    of a MATCHED batch must not take the batch apart.
    """
    pairing = {i for _, left, right in decisions.matches for i in (*left, *right)}
    pairing |= {i for _, lid, rid in decisions.forbidden for i in (lid, rid)}
    written_off = {item for _, item in decisions.write_offs}
    return _touches(pairing) | (_touches(written_off) & (F.col("status") != "MATCHED"))


def _members(matches: DataFrame) -> DataFrame:
    return matches.select(
        "leg", F.explode(F.concat("left_ids", "right_ids")).alias("item_id")
    ).distinct()


def _manual_matches(
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
    )


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
    members = matches.select(
        F.explode(F.concat("left_ids", "right_ids")).alias("item_id"),
        F.col("match_id"),
        F.col("status").alias("state"),
        F.col("reason_code"),
        F.col("rule"),
    )
    return items.join(members, "item_id")


@dataclass
class LegOutcome:
    items: DataFrame
    matches: DataFrame
    open_items: DataFrame  # gold._open_items rows: what the next day starts from


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


def _state_rows(items: DataFrame, state: str, rule: str | None = None) -> DataFrame:
    return items.select(
        *items.columns,
        F.lit(state).alias("state"),
        F.lit(None).cast("string").alias("reason_code"),
        F.lit(None).cast("string").alias("match_id"),
        F.lit(rule).cast("string").alias("rule"),
    )


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
    manual = _manual_matches(spark, leg, decisions, left, right)
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
    left_open = left.join(result.left_unmatched.select("item_id"), "item_id", "left_semi")
    right_open = right.join(result.right_unmatched.select("item_id"), "item_id", "left_semi")
    left_open, right_open = left_open.localCheckpoint(), right_open.localCheckpoint()
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
    states.append(_state_rows(w_items, "WRITTEN_OFF", "manual:write_off"))
    items = reduce(DataFrame.unionByName, states).withColumn("leg", F.lit(leg.name))
    return LegOutcome(
        items,
        all_matches.select(*MATCH_COLUMNS),
        _open_rows(leg.name, still_open, orphans, as_of),
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


def _run_columns(df: DataFrame, ctx: RunContext) -> DataFrame:
    now = datetime.now(UTC).replace(tzinfo=None)
    return df.withColumns(
        {"_as_of": F.lit(ctx.as_of), "_run_id": F.lit(ctx.run_id), "_updated_at": F.lit(now)}
    )


# ---- where the candidates come from: the previous close, or the whole window --------

HISTORY_LIMIT = 100  # commits read from a table's history when checking a close
# Operations that add rows or only reorganise files: a close stays a valid start.
_ADDING_OPERATIONS = {"OPTIMIZE", "VACUUM START", "VACUUM END", "CREATE TABLE", "SET TBLPROPERTIES"}


def _watermarks(spark: SparkSession, settings: Settings) -> dict[str, datetime | None]:
    """Per silver table, the bronze ``_ingested_at`` refine had reached when the run
    started: every silver row the run can see was ingested at or before it."""
    rows = read(spark, settings, REFINE_STATE).select("table", "ingested_through").collect()
    marks = {r.table: r.ingested_through for r in rows}
    return {name: marks.get(name) for name in SILVER_KEYS}


def _rewrites_rows(row: Row) -> bool:
    metrics = row.operationMetrics or {}
    if row.operation == "MERGE":
        changed = ("numTargetRowsUpdated", "numTargetRowsDeleted")
        return any(int(metrics.get(m, "0") or 0) for m in changed)
    if row.operation == "WRITE":
        return (row.operationParameters or {}).get("mode") != "Append"
    return row.operation not in _ADDING_OPERATIONS


def _silver_rewritten(
    spark: SparkSession, settings: Settings, close: open_items.Close
) -> str | None:
    """Why ``close`` cannot be a start because silver changed rows it had seen (a
    restated row might sit in a frozen match), or None."""
    for name, (spec, _) in SILVER_KEYS.items():
        path = table_path(settings, spec)
        if not is_delta_table(spark, path):
            continue
        rows = history(spark, path, HISTORY_LIMIT).collect()
        for row in rows:
            # a later day's refine may have run before the close was made
            later = row.as_of is not None and row.as_of > close.as_of.isoformat()
            if (row.timestamp > close.closed_at or later) and _rewrites_rows(row):
                return f"silver.{name} version {row.version} ({row.operation}) changed rows"
        if len(rows) == HISTORY_LIMIT and min(r.timestamp for r in rows) > close.closed_at:
            return f"silver.{name} has more than {HISTORY_LIMIT} commits since"
    return None


def previous_close(
    spark: SparkSession, settings: Settings, as_of: date, fingerprint: str
) -> tuple[open_items.Close | None, str]:
    """The close of D - 1 this run can start from, or None and why not.

    Valid when the run for D - 1 wrote its open items under the same rules and
    window, its partition was not dropped by retention, and silver only gained rows
    since (no restatement, no delete).
    """
    path = table_path(settings, open_items.SPEC)
    if not is_delta_table(spark, path):
        return None, "no close recorded yet"
    yesterday = as_of - timedelta(days=1)
    commits = (
        history(spark, path, HISTORY_LIMIT)
        .where(F.col("step") == open_items.STEP)
        .select("version", "timestamp", "as_of", "userMetadata")
        .collect()
    )
    closes = [r for r in commits if r.as_of == yesterday.isoformat()]
    if not closes:
        return None, f"no close for {yesterday}"
    newest = max(date.fromisoformat(r.as_of) for r in commits)
    if newest - timedelta(days=open_items.KEEP_DAYS) > yesterday:
        return None, f"the close of {yesterday} is past its retention"
    last = max(closes, key=lambda r: r.version)
    close = open_items.Close.from_commit(yesterday, last.timestamp, json.loads(last.userMetadata))
    if close.fingerprint != fingerprint:
        return None, "rules or window changed since the close"
    reason = _silver_rewritten(spark, settings, close)
    if reason is not None:
        return None, reason
    return close, ""


def _fresh(silver: dict[str, DataFrame], close: open_items.Close) -> dict[str, DataFrame]:
    """The silver window rows ``close`` had not seen: arrived after its day, or refined
    after it (ingested past its watermark)."""
    fresh = {}
    for name, df in silver.items():
        mark = close.watermarks.get(name)
        seen = F.col("_arrival_date") <= F.lit(close.as_of)
        seen = seen & (F.col("_ingested_at") <= F.lit(mark)) if mark else F.lit(False)
        fresh[name] = df.where(~F.coalesce(seen, F.lit(False)))
    return fresh


def _fetched(silver: dict[str, DataFrame], ids: set[str]) -> dict[str, DataFrame] | None:
    """The silver window rows with these keys (items decisions name or thaw)."""
    if not ids:
        return None
    wanted = sorted(ids)
    return {
        name: df.where(F.col(SILVER_KEYS[name][1]).isin(*wanted)) for name, df in silver.items()
    }


def _write_close(rows: DataFrame, ctx: RunContext, close: open_items.Close) -> None:
    """Replace D's open items in one commit that records the close, then drop the
    partitions past retention."""
    settings = ctx.settings
    day = ctx.as_of
    closing = replace(ctx, extra={**ctx.extra, **close.metadata()})
    replace_where(
        _run_columns(rows, ctx),
        settings,
        open_items.SPEC,
        closing,
        step=open_items.STEP,
        where=f"as_of = DATE'{day.isoformat()}'",
    )
    oldest = day - timedelta(days=open_items.KEEP_DAYS)
    delete_where(
        rows.sparkSession,
        settings,
        open_items.SPEC,
        ctx,
        step="reconcile.retention",
        where=f"as_of < DATE'{oldest.isoformat()}'",
    )


def reconcile(
    spark: SparkSession,
    ctx: RunContext,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, int]]:
    """Reconcile every leg for ``ctx.as_of``; returns per-leg state counts."""
    settings = ctx.settings
    as_of = ctx.as_of
    legs = load_legs()
    decisions = _decisions(spark, ctx)
    low = as_of - timedelta(days=settings.reconcile_window_days)
    marks = _watermarks(spark, settings)
    silver = _silver_window(spark, ctx, low, decisions.item_ids)
    # tables written before their partitioning are upgraded before they are read
    for spec in (recon_matches.SPEC, recon_items.SPEC):
        ensure_table(spark, settings, spec)
    # Only matches made inside the window can hold window items (an item's business
    # date is never after the day it was matched), plus those a decision names: the
    # frozen set stays the size of the window however long the history is.
    existing_matches = read(spark, settings, recon_matches.SPEC)
    recent = existing_matches.where(
        (F.col("matched_as_of") >= F.lit(low)) | _touches(decisions.item_ids)
    )
    earlier = recent.where(F.col("matched_as_of") < F.lit(as_of))
    frozen = earlier.where(~_thawed(decisions))
    thawed = (
        earlier.where(_thawed(decisions))
        .select("match_id", "matched_as_of", "left_ids", "right_ids")
        .collect()
    )

    fingerprint = open_items.fingerprint(legs, settings.reconcile_window_days)
    close, why_not = (
        previous_close(spark, settings, as_of, fingerprint)
        if settings.reconcile_from_close
        else (None, "[reconcile] from_close = false")
    )
    if close is None:
        log.info("reconcile %s: whole window (%s)", as_of, why_not)
        frozen_members = _members(frozen).localCheckpoint()

        def inputs(leg: Leg) -> LegInputs:
            return full_inputs(leg, silver, frozen_members)
    else:
        log.info("reconcile %s: from the close of %s", as_of, close.as_of)
        previous = read(spark, settings, open_items.SPEC).where(
            (F.col("as_of") == F.lit(close.as_of)) & (F.col("business_date") >= F.lit(low))
        )
        fresh = _fresh(silver, close)
        named = decisions.item_ids | {i for r in thawed for i in (*r.left_ids, *r.right_ids)}
        fetched = _fetched(silver, named)
        touched = _members(frozen.where(_touches(named))).localCheckpoint() if named else None

        def inputs(leg: Leg) -> LegInputs:
            return incremental_inputs(leg, silver, previous, fresh, fetched, touched)

    if progress:
        start = "the whole window" if close is None else f"the close of {close.as_of}"
        progress(f"reconcile: candidates from {start}")

    # Legs are independent until the writes: match them side by side.
    with ThreadPoolExecutor(max_workers=len(legs)) as pool:
        outcomes = list(
            pool.map(
                lambda leg: reconcile_leg(spark, leg, inputs(leg), decisions, as_of),
                legs.values(),
            )
        )
    items = reduce(DataFrame.unionByName, [o.items for o in outcomes])
    items = recon_items.with_age(items, as_of, settings.aging_buckets).localCheckpoint()
    matches = reduce(DataFrame.unionByName, [o.matches for o in outcomes]).withColumn(
        "matched_as_of", F.lit(as_of)
    )

    # The run owns the matches made on or after D and the thawed ones. Both conditions
    # name matched_as_of partitions, so the MERGE reads and rewrites those only.
    today = f"t.matched_as_of >= DATE'{as_of.isoformat()}'"
    scope, owned = today, today
    if thawed:
        days = ", ".join(sorted({f"DATE'{r.matched_as_of.isoformat()}'" for r in thawed}))
        ids = ", ".join(f"'{r.match_id}'" for r in thawed)
        scope += f" OR (t.matched_as_of IN ({days}) AND t.match_id IN ({ids}))"
        owned += f" OR t.matched_as_of IN ({days})"
    merge(
        _run_columns(matches, ctx),
        settings,
        recon_matches.SPEC,
        ctx,
        step="reconcile",
        delete_scope=scope,
        target_filter=owned,
    )
    if progress:
        progress("gold.recon_matches merged")

    existing_items = read(spark, settings, recon_items.SPEC)
    # Open items not restated today (older than the window, or members of a frozen
    # PARTIAL / REVERSED match) keep their state but age with the run's date.
    old_open = existing_items.where(
        recon_items.is_open()
        & F.col("state").isin(*OPEN_STATES)
        & (F.col("business_date") <= F.lit(as_of))
    ).join(items.select("leg", "item_id"), ["leg", "item_id"], "left_anti")
    old_open = recon_items.with_age(old_open, as_of, settings.aging_buckets)
    source = reduce(
        DataFrame.unionByName,
        [
            conform(_run_columns(recon_items.with_closed_as_of(df, as_of), ctx), recon_items.SCHEMA)
            for df in (items, old_open)
        ],
    )
    merge(source, settings, recon_items.SPEC, ctx, step="reconcile")
    if progress:
        progress("gold.recon_items merged")

    snapshot = read(spark, settings, recon_items.SPEC).where(
        (
            F.col("business_date").between(F.lit(low), F.lit(as_of))
            | F.col("state").isin(*OPEN_STATES)
        )
        & (F.col("business_date") <= F.lit(as_of))
    )
    # Exceptions and aging need whole rows of the open items only; the summary needs
    # three columns of every item in scope. Caching whole rows of all of them filled
    # the driver heap at 1M events a day.
    current = snapshot.where(recon_items.is_open() & F.col("state").isin(*OPEN_STATES)).cache()
    merge(
        _run_columns(recon_exceptions.transform(current), ctx),
        settings,
        recon_exceptions.SPEC,
        ctx,
        step="reconcile",
        delete_scope="true",
    )
    merge(
        _run_columns(aging.transform(current, as_of), ctx),
        settings,
        aging.SPEC,
        ctx,
        step="reconcile",
        delete_scope=f"t.as_of_date = DATE'{as_of.isoformat()}'",
    )
    summary = daily_summary.transform(snapshot.select("leg", "state", "amount"), as_of)
    merge(
        _run_columns(summary, ctx),
        settings,
        daily_summary.SPEC,
        ctx,
        step="reconcile",
        delete_scope=f"t.as_of_date = DATE'{as_of.isoformat()}'",
    )
    if progress:
        progress("gold.recon_exceptions, gold.aging, gold.daily_summary merged")
    _write_close(
        reduce(DataFrame.unionByName, [o.open_items for o in outcomes]),
        ctx,
        open_items.Close(as_of, datetime.now(UTC).replace(tzinfo=None), marks, fingerprint),
    )
    if progress:
        progress("gold._open_items written (tomorrow's start)")
    counts: dict[str, dict[str, int]] = {}
    for row in summary.collect():
        counts[row.leg] = {k: v for k, v in row.asDict().items() if k.endswith("_items")}
    current.unpersist()
    return counts
