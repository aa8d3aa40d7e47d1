"""flows.maintenance: the retention an audit window implies (no Spark)."""

from __future__ import annotations

import pytest

from flows.maintenance import (
    interval_hours,
    maintenance,
    retention_updates,
    vacuum_retention_hours,
)
from lakehouse.errors import ConfigError


def test_a_bad_window_parameter_fails_before_spark_starts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def no_spark() -> None:
        raise AssertionError("Spark started before the parameter was checked")

    monkeypatch.setattr("flows.maintenance.settings_and_spark", no_spark)
    with pytest.raises(ConfigError, match="audit_window_days must be >= 1, got -1"):
        maintenance.fn(audit_window_days=-1)


def test_interval_hours() -> None:
    assert interval_hours("interval 30 days") == 720
    assert interval_hours("interval 1 week") == 168
    assert interval_hours("INTERVAL 12 HOURS") == 12
    assert interval_hours(None) is None
    assert interval_hours("interval 2 months") is None


def test_retention_updates_only_raise_to_the_window() -> None:
    keys = {"delta.logRetentionDuration", "delta.deletedFileRetentionDuration"}
    assert retention_updates({}, 30) == {k: "interval 30 days" for k in keys}
    longer = {k: "interval 90 days" for k in keys}
    assert retention_updates(longer, 30) == {}
    mixed = {
        "delta.logRetentionDuration": "interval 30 days",
        "delta.deletedFileRetentionDuration": "interval 7 days",
    }
    assert retention_updates(mixed, 30) == {
        "delta.deletedFileRetentionDuration": "interval 30 days"
    }


def test_vacuum_keeps_the_longer_of_window_and_table_retention() -> None:
    assert vacuum_retention_hours({}, 30) == 720
    key = "delta.deletedFileRetentionDuration"
    assert vacuum_retention_hours({key: "interval 7 days"}, 30) == 720
    assert vacuum_retention_hours({key: "interval 90 days"}, 30) == 90 * 24
