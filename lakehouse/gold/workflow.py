"""The reconcile step's exception workflow: gold.exception_queue and gold.decision_outcomes.

Runs after gold.recon_items and gold.recon_exceptions are written. The queue starts
from its own close of the previous day (time travel on the runs' as-of dates, so a
re-run or a backfill of D starts from what D - 1 closed with), adds the operators'
assign / comment / status decisions known by D and what closed yesterday's breaks.
Then every decision known by D is checked against gold (applied, not applied and why,
undone) and the run's progress names each one not applied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse.audit import version_as_of
from lakehouse.gold import decision_outcomes, exception_queue, recon_items
from lakehouse.gold.decisions import Decisions
from lakehouse.io import RunContext, is_delta_table, read, table_path

Progress = Callable[[str], None]
SHOWN = 20  # unapplied decisions named one by one in the progress


def _previous_queue(spark: SparkSession, ctx: RunContext) -> DataFrame:
    """The queue as the books closed on the day before the run's day (empty if none)."""
    path = table_path(ctx.settings, exception_queue.SPEC)
    empty = spark.createDataFrame([], exception_queue.SCHEMA)
    if not is_delta_table(spark, path):
        return empty
    version = version_as_of(spark, path, ctx.as_of - timedelta(days=1))
    if version is None:
        return empty
    return spark.read.format("delta").option("versionAsOf", version).load(path)


def _workflow(spark: SparkSession, decided: Decisions) -> DataFrame:
    rows = [
        (leg, item, w.owner, w.status, w.last_note, w.last_note_by, w.last_note_at, w.notes)
        for (leg, item), w in sorted(decided.workflow.items())
    ]
    return spark.createDataFrame(rows, exception_queue.WORKFLOW_SCHEMA)


def _resolutions(decided: Decisions) -> dict[tuple[str, str], dict[str, Any]]:
    """The decision that closes each item it names (a write-off or adjustment outranks
    a manual match of the same item)."""
    by_id = decided.by_id
    found = {
        (leg, item): by_id[decision_id]
        for (leg, left, right), decision_id in decided.matches.items()
        for item in (*left, *right)
    }
    found.update({key: by_id[decision_id] for key, decision_id in decided.write_offs.items()})
    return found


def _closed(
    spark: SparkSession,
    ctx: RunContext,
    previous: DataFrame,
    breaks: DataFrame,
    decided: Decisions,
) -> DataFrame:
    """Yesterday's open queue items that are no longer breaks: their state now and the
    decision that closed them."""
    keys = exception_queue.KEYS
    gone = (
        previous.where(F.col("status") != "RESOLVED")
        .select(*keys)
        .join(breaks.select(*keys), keys, "left_anti")
    )
    # closed by this run (or, in a backfill, a later one) or still open: prunes history
    recent = recon_items.is_open() | (F.col("_closed_as_of") >= F.lit(ctx.as_of))
    states = (
        read(spark, ctx.settings, recon_items.SPEC)
        .where(recent)
        .join(F.broadcast(gone), keys, "left_semi")
        .select(*keys, "state", "rule")
    )
    rows = [
        (leg, item, r["action"], r.get("decided_by"), r.get("amount"))
        for (leg, item), r in sorted(_resolutions(decided).items())
    ]
    closing = spark.createDataFrame(
        rows,
        "leg string, item_id string, decision_action string, decided_by string, "
        "decision_amount decimal(18,2)",
    )
    return states.join(closing, keys, "left").select(
        *[f.name for f in exception_queue.CLOSED_SCHEMA.fields]
    )


def _outcomes(spark: SparkSession, ctx: RunContext, decided: Decisions) -> list[dict[str, Any]]:
    path = table_path(ctx.settings, decision_outcomes.SPEC)
    if not decided.rows and not is_delta_table(spark, path):
        return []
    named = sorted(decision_outcomes.named_items(decided))
    found = {}
    if named:
        hits = (
            read(spark, ctx.settings, recon_items.SPEC)
            .where(F.col("item_id").isin(*named))
            .select("leg", "item_id", "state", "rule")
            .collect()
        )
        found = {(r.leg, r.item_id): (r.state, r.rule) for r in hits}
    rows = decision_outcomes.outcomes(decided, found)
    fields = [f for f in decision_outcomes.SCHEMA.fields if not f.name.startswith("_")]
    frame = spark.createDataFrame(
        [tuple(row[f.name] for f in fields) for row in rows],
        StructType(fields),
    )
    decision_outcomes.write(frame, ctx)
    return [row for row in rows if row["outcome"] == "NOT_APPLIED"]


def update(
    spark: SparkSession,
    ctx: RunContext,
    breaks: DataFrame,
    decided: Decisions,
    say: Progress,
) -> list[dict[str, Any]]:
    """Write the queue and the decision outcomes; returns the decisions not applied."""
    previous = _previous_queue(spark, ctx).localCheckpoint()
    queue = exception_queue.transform(
        breaks,
        previous,
        _workflow(spark, decided),
        _closed(spark, ctx, previous, breaks, decided),
        ctx.as_of,
        ctx.settings.queue,
    )
    # materialised: the MERGE reads its source twice (the rows, and the keys it drops)
    exception_queue.write(queue.localCheckpoint(), ctx)
    say("gold.exception_queue merged")
    unapplied = _outcomes(spark, ctx, decided)
    applied = len(decided.rows) - len(unapplied)
    if decided.rows:
        say(f"decisions known by {ctx.as_of}: {applied} applied or undone, {len(unapplied)} not")
    for row in unapplied[:SHOWN]:
        items = ", ".join(row["item_ids"][:3])
        say(
            f"decision {row['decision_id']} ({row['action']} on {row['leg']}: {items}) "
            f"not applied: {row['detail']}"
        )
    if len(unapplied) > SHOWN:
        say(f"... and {len(unapplied) - SHOWN} more: lakehouse audit --table decision_outcomes")
    return unapplied
