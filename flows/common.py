"""What every flow shares: settings, the Spark session, the retry policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyspark.sql import SparkSession

from lakehouse.config import Settings, load_settings
from lakehouse.errors import WriteConflict
from lakehouse.spark import get_spark


def settings_and_spark() -> tuple[Settings, SparkSession]:
    settings = load_settings()
    return settings, get_spark(settings)


def parse_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def default_business_date(now: datetime | None = None) -> date:
    """The day a scheduled run reconciles: yesterday in UTC (the feeds' business days are
    UTC dates), whatever the machine's time zone."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).date() - timedelta(days=1)


def retry_on_write_conflict(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a task only when Delta reported a concurrent-write conflict."""
    try:
        state.result()
    except WriteConflict:
        return True
    except Exception:
        return False
    return False


WRITE_TASK_OPTIONS: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": 5,
    "retry_condition_fn": retry_on_write_conflict,
}
