"""Flow: landing zone -> bronze for one business day."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task

from flows.common import WRITE_TASK_OPTIONS, parse_day, settings_and_spark
from lakehouse.pipeline import context, run_ingest


@task(name="ingest-bronze", tags=["writer:bronze"], **WRITE_TASK_OPTIONS)
def ingest_task(business_date: date, run_id: str | None = None) -> dict[str, Any]:
    settings, spark = settings_and_spark()
    logger = get_run_logger()
    report = run_ingest(spark, context(settings, business_date, run_id), progress=logger.info)
    counts: dict[str, Any] = {s: report.count(s) for s in ("ingested", "rejected", "skipped")}
    return {**counts, "warnings": report.warnings}


@flow(name="ingest")
def ingest(business_date: date | str, run_id: str | None = None) -> dict[str, Any]:
    return ingest_task(parse_day(business_date), run_id)
