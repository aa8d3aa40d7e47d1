"""The layer steps as plain functions, each runnable alone and safe to re-run.

Flows (``flows/``) and the CLI call these; they hold no logic of their own.
:func:`run_days` (and :func:`run_day`) reprocess days before the last reconciled
day (:mod:`lakehouse.reprocess`). Every step
holds the lakehouse's writer lease (:mod:`lakehouse.lease`) while it writes, and
:func:`run_day` holds it across its three steps, so whichever entry point starts a
write (CLI, Prefect flow, served deployment) waits for, or is refused by, another.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pyspark.sql import SparkSession

from lakehouse.bronze.ingest import IngestReport, ingest
from lakehouse.config import Settings, load_settings
from lakehouse.errors import LakehouseError
from lakehouse.faults import fault_point
from lakehouse.gold.books import books, rewind
from lakehouse.gold.reconcile import reconcile
from lakehouse.io import RunContext
from lakehouse.landing import landing_zone
from lakehouse.lease import Lease, writer_lease
from lakehouse.reprocess import Plan, days_between, plan
from lakehouse.silver.refine import refine, refined_through
from lakehouse.spark import get_spark

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def new_run_id(step: str, as_of: date) -> str:
    return f"{step}-{as_of.isoformat()}-{uuid.uuid4().hex[:8]}"


def context(settings: Settings, as_of: date, run_id: str | None = None) -> RunContext:
    return RunContext(run_id=run_id or new_run_id("run", as_of), as_of=as_of, settings=settings)


def run_ingest(
    spark: SparkSession, ctx: RunContext, progress: Progress | None = None
) -> IngestReport:
    with writer_lease(ctx.settings, ctx.run_id, progress):
        zone = landing_zone(ctx.settings)
        report = ingest(spark, zone, ctx, progress=progress)
        if ctx.settings.storage.archive:
            for outcome in report.outcomes:
                if outcome.status == "ingested":
                    item = next(f for f in zone.list(outcome.feed) if f.uri == outcome.path)
                    zone.archive(item, ctx.settings.storage.archive)
        return report


def run_refine(
    spark: SparkSession, ctx: RunContext, progress: Progress | None = None
) -> dict[str, dict[str, int]]:
    with writer_lease(ctx.settings, ctx.run_id, progress):
        through = refined_through(spark, ctx.settings)
        if through is not None and ctx.as_of < through:
            # silver would take rows of files delivered after that day as known by it
            raise LakehouseError(
                f"refine for {ctx.as_of}: silver is refined as of {through} already; run "
                f"`lakehouse run --date {ctx.as_of}` instead (it reprocesses {ctx.as_of} "
                "and every later day from silver as known by each day)"
            )
        return refine(spark, ctx, progress=progress)


def _reconcile(
    spark: SparkSession, ctx: RunContext, progress: Progress | None = None
) -> dict[str, dict[str, int]]:
    with writer_lease(ctx.settings, ctx.run_id, progress):
        return reconcile(spark, ctx, progress=progress)


def run_reconcile(
    spark: SparkSession, ctx: RunContext, progress: Progress | None = None
) -> dict[str, dict[str, int]]:
    """Reconcile one day; a day before the last reconciled day is reconciled again with
    every later day (:func:`run_days`), and its legs are returned."""
    with writer_lease(ctx.settings, ctx.run_id, progress):
        if _plan(spark, ctx.settings, ctx.as_of, ctx.as_of).replay:
            results = run_days(
                ctx.as_of, ctx.as_of, ctx.settings, spark, progress, reconcile_only=True
            )
            return next(r.reconcile for r in results if r.as_of == ctx.as_of)
        return _reconcile(spark, ctx, progress)


@dataclass
class DayResult:
    as_of: date
    run_id: str
    ingest: IngestReport
    refine: dict[str, dict[str, int]]
    reconcile: dict[str, dict[str, int]]
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "run_id": self.run_id,
            "files": {
                "ingested": self.ingest.count("ingested"),
                "rejected": self.ingest.count("rejected"),
                "skipped": self.ingest.count("skipped"),
            },
            "ingest_warnings": self.ingest.warnings,
            "bronze_rows": self.ingest.rows_bronze,
            "bronze_quarantined": self.ingest.rows_quarantined,
            "silver": self.refine,
            "legs": self.reconcile,
            "seconds": self.seconds,
        }


def _plan(spark: SparkSession, settings: Settings, start: date, end: date) -> Plan:
    return plan(books(spark, settings), refined_through(spark, settings), start, end)


def _full_day(
    spark: SparkSession, ctx: RunContext, lease: Lease, progress: Progress | None
) -> DayResult:
    """ingest -> refine -> reconcile for one business day (``lease`` is held)."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    ingested = run_ingest(spark, ctx, progress)
    timings["ingest"] = time.perf_counter() - start
    fault_point("run.after_ingest")
    lease.check()
    mark = time.perf_counter()
    refined = run_refine(spark, ctx, progress)
    timings["refine"] = time.perf_counter() - mark
    fault_point("run.after_refine")
    lease.check()
    mark = time.perf_counter()
    reconciled = _reconcile(spark, ctx, progress)
    timings["reconcile"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - start
    return DayResult(ctx.as_of, ctx.run_id, ingested, refined, reconciled, timings)


def _replay(
    spark: SparkSession,
    settings: Settings,
    plan: Plan,
    was: date | None,
    reconcile_only: bool,
    progress: Progress | None,
) -> list[DayResult]:
    """Reprocess ``plan.replay``: ingest and refine what arrived by its last day, rewind
    gold to the books of ``plan.rewind_to``, reconcile each day again in order."""
    say: Progress = progress or (lambda _: None)
    say(plan.describe())
    through = context(settings, plan.replay[-1])
    ingested, refined = IngestReport(), {}
    if not reconcile_only:
        ingested = run_ingest(spark, through, progress)
        refined = run_refine(spark, through, progress)
    assert plan.rewind_to is not None
    rewind(spark, context(settings, plan.rewind_to, through.run_id), was, progress)
    fault_point("reprocess.after_rewind")
    results = []
    for i, day in enumerate(plan.replay, 1):
        say(f"reprocessing day {i}/{len(plan.replay)}: {day}")
        ctx = context(settings, day)
        start = time.perf_counter()
        legs = _reconcile(spark, ctx, progress)
        seconds = {"reconcile": time.perf_counter() - start}
        last = day == plan.replay[-1]
        results.append(
            DayResult(
                day,
                ctx.run_id,
                ingested if last else IngestReport(),
                refined if last else {},
                legs,
                seconds,
            )
        )
        fault_point("reprocess.between_days")
    return results


def run_days(
    start: date,
    end: date,
    settings: Settings | None = None,
    spark: SparkSession | None = None,
    progress: Progress | None = None,
    *,
    reconcile_only: bool = False,
) -> list[DayResult]:
    """Run business days ``start`` .. ``end`` in order, holding the writer lease
    throughout; days before the last reconciled day are reprocessed
    (:mod:`lakehouse.reprocess`): the result lists every day that ran."""
    settings = settings or load_settings()
    days_between(start, end)  # a bad range fails before Spark starts
    with writer_lease(settings, new_run_id("run", start), progress) as lease:
        spark = spark or get_spark(settings)
        where = books(spark, settings)
        todo = plan(where, refined_through(spark, settings), start, end)
        results = []
        if todo.replay:
            results += _replay(spark, settings, todo, where.last, reconcile_only, progress)
        say: Progress = progress or (lambda _: None)
        for i, day in enumerate(todo.forward, 1):
            if len(todo.forward) > 1:
                say(f"day {i}/{len(todo.forward)}: {day}")
            ctx = context(settings, day)
            if reconcile_only:
                legs = _reconcile(spark, ctx, progress)
                results.append(DayResult(day, ctx.run_id, IngestReport(), {}, legs))
            else:
                results.append(_full_day(spark, ctx, lease, progress))
                say(f"{day} done in {results[-1].seconds['total']:.1f}s")
    return results


def run_day(
    as_of: date,
    settings: Settings | None = None,
    spark: SparkSession | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> DayResult:
    """ingest -> refine -> reconcile for one business day, holding the writer lease.

    A day before the last reconciled day is reprocessed with every later day
    (:func:`run_days`); the result is the requested day's.
    """
    settings = settings or load_settings()
    run_id = run_id or new_run_id("run", as_of)
    with writer_lease(settings, run_id, progress) as lease:
        spark = spark or get_spark(settings)
        todo = _plan(spark, settings, as_of, as_of)
        if todo.replay:
            results = run_days(as_of, as_of, settings, spark, progress)
            return next(r for r in results if r.as_of == as_of)
        return _full_day(spark, context(settings, as_of, run_id), lease, progress)
