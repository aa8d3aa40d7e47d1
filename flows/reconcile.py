"""Flow: silver -> gold for one business day."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task

from flows.common import WRITE_TASK_OPTIONS, parse_day, settings_and_spark
from lakehouse.pipeline import context, run_reconcile


@task(name="reconcile-gold", tags=["writer:gold"], **WRITE_TASK_OPTIONS)
def reconcile_task(business_date: date, run_id: str | None = None) -> dict[str, dict[str, int]]:
    settings, spark = settings_and_spark()
    return run_reconcile(
        spark, context(settings, business_date, run_id), progress=get_run_logger().info
    )


@flow(name="reconcile")
def reconcile(business_date: date | str, run_id: str | None = None) -> dict[str, dict[str, int]]:
    return reconcile_task(parse_day(business_date), run_id)
