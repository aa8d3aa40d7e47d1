"""Serve the lakehouse deployments from this process: ``python -m flows.serve``.

An alternative to ``prefect deploy`` + a ``lakehouse-process`` worker (see
``prefect.yaml``): the same four deployments, schedules (cron, UTC) and concurrency
limits, executed by a runner in this process. Needs ``PREFECT_API_URL`` to point at
a running server (``bash scripts/prefect_server.sh start``).

``--paused`` registers the deployments with their schedules paused (manual and API
runs still work), which is what tests use.
"""

from __future__ import annotations

import argparse
from typing import Any

from prefect import serve
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from flows.daily_pipeline import backfill, daily_pipeline
from flows.maintenance import maintenance
from flows.preview import preview

TIMEZONE = "UTC"
DAILY_CRON = "30 6 * * *"  # every day 06:30 UTC, for yesterday's business date
MAINTENANCE_CRON = "0 3 * * 0"  # Sundays 03:00 UTC, well before the daily run
CONCURRENCY_LIMIT = 1  # one run per deployment at a time; tag limits guard each layer
TAGS = ["lakehouse"]


def deployments(paused: bool = False) -> list[Any]:
    """The runner deployments: daily-pipeline, backfill, maintenance and preview."""
    common: dict[str, Any] = {
        "concurrency_limit": CONCURRENCY_LIMIT,
        "tags": TAGS,
        "paused": paused,
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    return [
        daily_pipeline.to_deployment(
            name="daily-pipeline",
            schedules=[Cron(DAILY_CRON, timezone=TIMEZONE)],
            description="Yesterday's business day (UTC), ingest -> refine -> reconcile.",
            **common,
        ),
        backfill.to_deployment(
            name="backfill",
            description="Run daily_pipeline for every day from start to end (ISO dates).",
            **common,
        ),
        maintenance.to_deployment(
            name="maintenance",
            schedules=[Cron(MAINTENANCE_CRON, timezone=TIMEZONE)],
            description="OPTIMIZE + VACUUM every table, keeping the audit window.",
            **common,
        ),
        preview.to_deployment(
            name="preview",
            description="Replay past days with another rules file into a scratch gold; diff.",
            **common,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.serve", description=__doc__)
    parser.add_argument(
        "--paused",
        action="store_true",
        help="register the schedules paused (runs only when triggered)",
    )
    parser.add_argument(
        "--limit", type=int, default=1, help="flow runs this process executes at once (default 1)"
    )
    args = parser.parse_args(argv)
    serve(*deployments(paused=args.paused), limit=args.limit)


if __name__ == "__main__":
    main()
