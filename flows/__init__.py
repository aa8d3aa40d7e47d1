"""Prefect flows: one per layer plus the daily pipeline, backfill and maintenance.

Importing any of them first switches Prefect's telemetry off (unless the environment
already decides): there is no internet here, and no reason for a finance pipeline to
phone home. This runs before any ``flows.*`` module imports Prefect.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
