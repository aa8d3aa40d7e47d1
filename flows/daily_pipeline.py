"""Flow: the whole day, ingest -> refine -> reconcile, plus the day's artifacts."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.common import WRITE_TASK_OPTIONS, default_business_date, parse_day, settings_and_spark
from flows.ingest import ingest_task
from flows.reconcile import reconcile_task
from flows.refine import refine_task
from lakehouse.config import load_settings
from lakehouse.gold.books import books
from lakehouse.gold.report_data import new_exceptions_markdown, summary_rows
from lakehouse.lease import writer_lease
from lakehouse.pipeline import new_run_id, run_days
from lakehouse.report.unapplied import load_unapplied, unapplied_markdown
from lakehouse.reprocess import Plan, days_between, plan
from lakehouse.silver.refine import refined_through


@task(
    name="reprocess",
    tags=["writer:bronze", "writer:silver", "writer:gold"],
    **WRITE_TASK_OPTIONS,
)
def reprocess_task(start: date, end: date) -> list[dict[str, Any]]:
    """Days before the last reconciled day: rewind gold and reconcile them again in order
    with every later day (:mod:`lakehouse.reprocess`)."""
    settings, spark = settings_and_spark()
    results = run_days(start, end, settings, spark, get_run_logger().info)
    return [r.summary() for r in results]


def _plan(start: date, end: date) -> Plan:
    settings, spark = settings_and_spark()
    return plan(books(spark, settings), refined_through(spark, settings), start, end)


@flow(name="daily_pipeline")
def daily_pipeline(business_date: date | str | None = None) -> dict[str, Any]:
    """Run one business day (default: yesterday in UTC) end to end; a day before the last
    reconciled day is reprocessed with every later day."""
    day = parse_day(business_date) if business_date else default_business_date()
    run_id = new_run_id("daily", day)
    # one writer across the tasks (they run in this process and re-enter the lease)
    with writer_lease(load_settings(), run_id, get_run_logger().info):
        todo = _plan(day, day)
        if todo.replay:
            get_run_logger().info(todo.describe())
            days = reprocess_task(day, day)
            files, silver, legs = days[-1]["files"], days[-1]["silver"], days[0]["legs"]
        else:
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
    """Run every day from start to end in order: days already reconciled are reprocessed
    in one task, new days each as a daily_pipeline."""
    first, last = parse_day(start), parse_day(end)
    days_between(first, last)  # a bad range fails before anything runs
    with writer_lease(load_settings(), new_run_id("backfill", first), get_run_logger().info):
        todo = _plan(first, last)
        done: list[dict[str, Any]] = []
        if todo.replay:
            get_run_logger().info(todo.describe())
            assert todo.last is not None
            done += reprocess_task(first, min(last, todo.last))
        return done + [daily_pipeline(day) for day in todo.forward]
