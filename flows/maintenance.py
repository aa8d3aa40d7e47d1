"""Flow: table maintenance (OPTIMIZE + VACUUM) keeping the audit window reachable.

The work is :mod:`lakehouse.maintenance`; this flow makes each table one task tagged
``writer:<layer>`` (the same tag concurrency limits as the pipeline's writers) that
retries only on :class:`lakehouse.errors.WriteConflict`, and publishes a summary
artifact. The flow and each task hold the lakehouse's writer lease
(:mod:`lakehouse.lease`), so maintenance never runs while a pipeline run writes,
whatever started either.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from flows.common import WRITE_TASK_OPTIONS, settings_and_spark
from lakehouse import maintenance as maint
from lakehouse.lease import writer_lease


@task(name="maintain-table", **WRITE_TASK_OPTIONS)
def maintain_table(stored: maint.StoredTable, window_days: int, run_id: str) -> dict[str, Any]:
    """Retention properties, OPTIMIZE and VACUUM for one table."""
    settings, spark = settings_and_spark()
    logger = get_run_logger()
    with writer_lease(settings, run_id, logger.info):
        summary = maint.maintain_table(spark, stored, window_days, run_id)
    logger.info("%s: %s", stored.qualified_name, summary)
    return summary


@flow(name="maintenance")
def maintenance(audit_window_days: int | None = None) -> list[dict[str, Any]]:
    """OPTIMIZE + VACUUM every table, keeping ``audit_window_days`` of time travel."""
    maint.check_audit_window(audit_window_days)
    settings, spark = settings_and_spark()
    window = maint.audit_window(audit_window_days, settings.audit_window_days)
    run_id = maint.new_run_id()
    with writer_lease(settings, run_id, get_run_logger().info):
        summary = [
            maintain_table.with_options(
                tags=[f"writer:{stored.layer}"], task_run_name=f"maintain-{stored.qualified_name}"
            )(stored, window, run_id)
            for stored in maint.discover_tables(spark, settings.storage.root)
        ]
    create_table_artifact(
        [{**row, "properties_set": ", ".join(row["properties_set"])} for row in summary],
        key="maintenance-summary",
        description=f"OPTIMIZE + VACUUM, retention {window} days ({window * 24} hours)",
    )
    return summary
