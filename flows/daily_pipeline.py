"""Flow: the whole day, ingest -> refine -> reconcile, plus the day's artifacts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.common import parse_day, settings_and_spark
from flows.ingest import ingest_task
from flows.reconcile import reconcile_task
from flows.refine import refine_task
from lakehouse.config import load_settings
from lakehouse.gold.report_data import new_exceptions_markdown, summary_rows
from lakehouse.lease import writer_lease
from lakehouse.pipeline import new_run_id
from lakehouse.report_decisions import load_unapplied, unapplied_markdown


@flow(name="daily_pipeline")
def daily_pipeline(business_date: date | str | None = None) -> dict[str, Any]:
    """Run one business day (default: yesterday, UTC) end to end."""
    day = parse_day(business_date) if business_date else date.today() - timedelta(days=1)
    run_id = new_run_id("daily", day)
    # one writer across the three tasks (they run in this process and re-enter the lease)
    with writer_lease(load_settings(), run_id, get_run_logger().info):
        files = ingest_task(day, run_id)
        silver = refine_task(day, run_id)
        legs = reconcile_task(day, run_id)
    settings, spark = settings_and_spark()
    rows = summary_rows(spark, settings, day)
    key = f"recon-summary-{day.isoformat()}"
    create_table_artifact(rows, key=key, description=f"Reconciliation summary as of {day}")
    create_markdown_artifact(
        new_exceptions_markdown(spark, settings, day),
        key=f"new-exceptions-{day.isoformat()}",
        description=f"Exceptions first seen as of {day}",
    )
    unapplied = load_unapplied(None, settings.storage.root)
    if unapplied:
        create_markdown_artifact(
            unapplied_markdown(unapplied, day),
            key=f"unapplied-decisions-{day.isoformat()}",
            description=f"Decisions the run for {day} could not apply",
        )
    return {
        "business_date": day.isoformat(),
        "run_id": run_id,
        "files": files,
        "silver": silver,
        "legs": legs,
        "decisions_not_applied": [row["decision_id"] for row in unapplied],
    }


@flow(name="backfill")
def backfill(start: date | str, end: date | str) -> list[dict[str, Any]]:
    """Run daily_pipeline for every day from start to end, in order."""
    first, last = parse_day(start), parse_day(end)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    with writer_lease(load_settings(), new_run_id("backfill", first), get_run_logger().info):
        return [daily_pipeline(day) for day in days]
