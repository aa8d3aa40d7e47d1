"""The layer steps as plain functions, each runnable alone and safe to re-run.

Flows (``flows/``) and the CLI call these; they hold no logic of their own. Every step
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
from datetime import date, timedelta
from typing import Any

from pyspark.sql import SparkSession

from lakehouse.bronze.ingest import IngestReport, ingest
from lakehouse.config import Settings, load_settings
from lakehouse.gold.reconcile import reconcile
from lakehouse.io import RunContext
from lakehouse.landing import landing_zone
from lakehouse.lease import writer_lease
from lakehouse.silver.refine import refine
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
        return refine(spark, ctx, progress=progress)


def run_reconcile(
    spark: SparkSession, ctx: RunContext, progress: Progress | None = None
) -> dict[str, dict[str, int]]:
    with writer_lease(ctx.settings, ctx.run_id, progress):
        return reconcile(spark, ctx, progress=progress)


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


def run_day(
    as_of: date,
    settings: Settings | None = None,
    spark: SparkSession | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> DayResult:
    """ingest -> refine -> reconcile for one business day, holding the writer lease."""
    settings = settings or load_settings()
    spark = spark or get_spark(settings)
    ctx = context(settings, as_of, run_id)
    timings: dict[str, float] = {}
    with writer_lease(settings, ctx.run_id, progress) as lease:
        start = time.perf_counter()
        ingested = run_ingest(spark, ctx, progress)
        timings["ingest"] = time.perf_counter() - start
        lease.check()
        mark = time.perf_counter()
        refined = run_refine(spark, ctx, progress)
        timings["refine"] = time.perf_counter() - mark
        lease.check()
        mark = time.perf_counter()
        reconciled = run_reconcile(spark, ctx, progress)
        timings["reconcile"] = time.perf_counter() - mark
        timings["total"] = time.perf_counter() - start
    return DayResult(as_of, ctx.run_id, ingested, refined, reconciled, timings)


def days_between(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
