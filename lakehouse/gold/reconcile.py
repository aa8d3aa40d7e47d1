"""The reconcile step: silver -> gold for business day D, as known by D.

choose the candidates (``lakehouse.gold.inputs``: the previous close, see
``lakehouse.gold.close``, or the whole window) -> match each leg
(``lakehouse.gold.leg``) -> write each gold table by the write policy its module
declares -> record the close the next day starts from. Every commit records the run
id and the as-of date; re-running D changes no business column.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.constants import BREAK_STATES, OPEN_STATES
from lakehouse.faults import fault_point
from lakehouse.gold import (
    aging,
    close,
    daily_summary,
    decisions,
    inputs,
    open_items,
    recon_candidates,
    recon_exceptions,
    recon_items,
    recon_matches,
    workflow,
)
from lakehouse.gold.leg import LegOutcome, reconcile_leg
from lakehouse.gold.rules import Leg, load_legs
from lakehouse.gold.snapshot import METADATA_KEY, SilverSnapshot, silver_as_known_by
from lakehouse.io import RunContext, ensure_table, read

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Earlier:
    """Matches earlier days' runs made that can hold window items: ``frozen`` stay as
    they are; ``reopened`` (match id -> its day) are ones a decision known by D names."""

    frozen: DataFrame
    reopened: dict[str, date]
    reopened_members: set[str]


def _earlier_matches(
    spark: SparkSession, ctx: RunContext, low: date, decided: decisions.Decisions
) -> Earlier:
    # Only matches made inside the window can hold window items (an item's business
    # date is never after the day it was matched), plus those a decision names: the
    # frozen set stays the size of the window however long the history is.
    for spec in (recon_matches.SPEC, recon_items.SPEC):
        ensure_table(spark, ctx.settings, spec)  # upgraded before they are read
    existing = read(spark, ctx.settings, recon_matches.SPEC)
    recent = existing.where(
        (F.col("matched_as_of") >= F.lit(low)) | decisions.touches(decided.item_ids)
    )
    earlier = recent.where(F.col("matched_as_of") < F.lit(ctx.as_of))
    thawed = decisions.thawed(decided)
    rows = earlier.where(thawed).select("match_id", "matched_as_of", "left_ids", "right_ids")
    reopened = rows.collect()
    return Earlier(
        frozen=earlier.where(~thawed),
        reopened={r.match_id: r.matched_as_of for r in reopened},
        reopened_members={i for r in reopened for i in (*r.left_ids, *r.right_ids)},
    )


def _candidates(
    spark: SparkSession,
    ctx: RunContext,
    silver: dict[str, DataFrame],
    earlier: Earlier,
    decided: decisions.Decisions,
    fingerprint: str,
    known: SilverSnapshot,
) -> tuple[Callable[[Leg], inputs.LegInputs], str]:
    """Each leg's inputs, from the previous close when it is a valid start (else the
    whole window), and a phrase saying which."""
    settings, low = ctx.settings, ctx.as_of - timedelta(days=ctx.settings.reconcile_window_days)
    start, why_not = (
        close.previous_close(spark, settings, ctx.as_of, fingerprint, known)
        if settings.reconcile_from_close
        else (None, "[reconcile] from_close = false")
    )
    if start is None:
        log.info("reconcile %s: whole window (%s)", ctx.as_of, why_not)
        frozen_members = inputs.members(earlier.frozen).localCheckpoint()
        return (lambda leg: inputs.full_inputs(leg, silver, frozen_members)), "the whole window"
    log.info("reconcile %s: from the close of %s", ctx.as_of, start.as_of)
    previous = read(spark, settings, open_items.SPEC).where(
        (F.col("as_of") == F.lit(start.as_of)) & (F.col("business_date") >= F.lit(low))
    )
    fresh = close.fresh(silver, start)
    named = decided.item_ids | earlier.reopened_members
    fetched = inputs.fetched(silver, named)
    touched = (
        inputs.members(earlier.frozen.where(decisions.touches(named))).localCheckpoint()
        if named
        else None
    )

    def leg_inputs(leg: Leg) -> inputs.LegInputs:
        return inputs.incremental_inputs(leg, silver, previous, fresh, fetched, touched)

    return leg_inputs, f"the close of {start.as_of}"


def _write_gold(
    spark: SparkSession,
    ctx: RunContext,
    outcomes: list[LegOutcome],
    earlier: Earlier,
    low: date,
    decided: decisions.Decisions,
    say: Progress,
) -> DataFrame:
    """MERGE the run's matches and item states, then the tables derived from
    recon_items; returns the daily summary rows."""
    settings, as_of = ctx.settings, ctx.as_of
    items = reduce(DataFrame.unionByName, [o.items for o in outcomes])
    items = recon_items.with_age(items, as_of, settings.aging_buckets).localCheckpoint()
    matches = reduce(DataFrame.unionByName, [o.matches for o in outcomes])
    recon_matches.write(matches, ctx, earlier.reopened)
    say("gold.recon_matches merged")
    fault_point("reconcile.after_recon_matches")

    # Open items as of the run: their states live in the open partition only
    # (``_closed_as_of`` null). Those not restated today (older than the window, or
    # members of a frozen PARTIAL / REVERSED match) keep their state but age with the
    # run's date.
    open_now = (
        recon_items.is_open()
        & F.col("state").isin(*OPEN_STATES)
        & (F.col("business_date") <= F.lit(as_of))
    )
    old_open = (
        read(spark, settings, recon_items.SPEC)
        .where(open_now)
        .join(items.select("leg", "item_id"), ["leg", "item_id"], "left_anti")
    )
    recon_items.write([items, recon_items.with_age(old_open, as_of, settings.aging_buckets)], ctx)
    say("gold.recon_items merged")
    fault_point("reconcile.after_recon_items")

    # The window's items, and the open ones however old: a closed partition is read
    # for the window's dates alone, so Delta skips the files of those closed before
    # the window by their business_date statistics instead of reading all history.
    in_window = F.col("business_date").between(F.lit(low), F.lit(as_of))
    snapshot = read(spark, settings, recon_items.SPEC).where(in_window | open_now)
    # Exceptions and aging need whole rows of the open items only; the summary needs
    # three columns of every item in scope. Caching whole rows of all of them filled
    # the driver heap at 1M events a day.
    current = snapshot.where(open_now).cache()
    # a few per thousand items, read by the exceptions, the queue and the candidates
    breaks = recon_exceptions.transform(current).localCheckpoint()
    # cached: the run's answer is read back from it once written (a few rows)
    summary = daily_summary.transform(snapshot.select("leg", "state", "amount"), as_of).cache()
    # Each of these tables reads recon_items and the run's items, never another of
    # them: written side by side, their small jobs and commits overlap.
    writes: list[Callable[[], object]] = [
        lambda: recon_exceptions.write(breaks, ctx),
        lambda: workflow.update(spark, ctx, breaks, decided, say),
        lambda: _write_candidates(spark, ctx, outcomes, items, breaks),
        lambda: aging.write(aging.transform(current, as_of), ctx),
        lambda: daily_summary.write(summary, ctx),
    ]
    with ThreadPoolExecutor(max_workers=len(writes)) as pool:
        for future in [pool.submit(write) for write in writes]:
            future.result()
    say("gold.recon_exceptions, gold.recon_candidates, gold.aging, gold.daily_summary merged")
    current.unpersist()
    return summary


def _write_candidates(
    spark: SparkSession,
    ctx: RunContext,
    outcomes: list[LegOutcome],
    items: DataFrame,
    open_breaks: DataFrame,
) -> None:
    """The nearest candidates of the breaks the run restated; the open breaks it did
    not restate (``open_breaks``: every open break after the run) keep the rows an
    earlier run computed."""
    keys = ["leg", "item_id"]
    # found once: each leg's search and the rows kept then read a few thousand rows,
    # not every item of the run
    restated = items.where(F.col("state").isin(*BREAK_STATES)).localCheckpoint()
    fresh = reduce(
        DataFrame.unionByName,
        [
            recon_candidates.transform(
                o.leg,
                restated.where(F.col("leg") == o.leg.name),
                o.matches,
                o.left_open,
                o.right_open,
                ctx.as_of,
            )
            for o in outcomes
        ],
    )
    kept = (
        read(spark, ctx.settings, recon_candidates.SPEC)
        .join(open_breaks.select(*keys), keys, "left_semi")
        .join(restated.select(*keys), keys, "left_anti")
        .select(*fresh.columns)
    )
    # materialised: the MERGE reads its source twice (the rows, and the keys it drops)
    recon_candidates.write(fresh.unionByName(kept).localCheckpoint(), ctx)


def reconcile(
    spark: SparkSession,
    ctx: RunContext,
    progress: Progress | None = None,
    *,
    rules: Path | None = None,
    known: SilverSnapshot | None = None,
) -> dict[str, dict[str, int]]:
    """Reconcile every leg for ``ctx.as_of`` from silver as known by that day; returns
    per-leg state counts.

    ``rules`` is the rules file (default ``conf/rules.toml``); ``known`` the silver
    snapshot to read (default: silver as known by the day, from the tables' history).
    A rule preview passes both, with ``ctx.settings`` writing gold to a scratch root.
    """
    say: Progress = progress or (lambda _: None)
    settings, as_of = ctx.settings, ctx.as_of
    legs = load_legs(rules)
    known = known or silver_as_known_by(spark, settings, as_of)
    # every gold commit of the run records the silver versions it read
    ctx = replace(ctx, extra={**ctx.extra, METADATA_KEY: known.metadata()})
    frames = known.read(spark, settings)
    decided = decisions.load(spark, ctx, frames["manual_decisions"])
    low = as_of - timedelta(days=settings.reconcile_window_days)
    marks = known.watermarks()
    silver = inputs.silver_window(frames, ctx, low, decided.item_ids)
    earlier = _earlier_matches(spark, ctx, low, decided)
    fingerprint = open_items.fingerprint(legs, settings.reconcile_window_days)
    leg_inputs, start = _candidates(spark, ctx, silver, earlier, decided, fingerprint, known)
    say(f"reconcile: candidates from {start}")

    # Legs are independent until the writes: match them side by side.
    with ThreadPoolExecutor(max_workers=len(legs)) as pool:
        outcomes = list(
            pool.map(
                lambda leg: reconcile_leg(spark, leg, leg_inputs(leg), decided, as_of),
                legs.values(),
            )
        )
    summary = _write_gold(spark, ctx, outcomes, earlier, low, decided, say)
    fault_point("reconcile.before_close")
    closed_at = datetime.now(UTC).replace(tzinfo=None)
    open_items.write(
        reduce(DataFrame.unionByName, [o.open_items for o in outcomes]),
        ctx,
        open_items.Close(as_of, closed_at, marks, fingerprint),
    )
    say("gold._open_items written (tomorrow's start)")
    counts = {
        row.leg: {k: v for k, v in row.asDict().items() if k.endswith("_items")}
        for row in summary.collect()
    }
    summary.unpersist()
    return counts
