"""lakehouse.maintenance: the retention an audit window implies, and one maintained table."""

from __future__ import annotations

import json
from datetime import date

import pytest

from lakehouse.errors import ConfigError
from lakehouse.maintenance import (
    StoredTable,
    audit_window,
    discover_tables,
    interval_hours,
    maintain_table,
    retention_updates,
    vacuum_retention_hours,
)


def test_the_window_is_the_parameter_else_the_setting() -> None:
    assert audit_window(None, 30) == 30
    assert audit_window(7, 30) == 7
    with pytest.raises(ConfigError, match="audit_window_days must be >= 1, got 0"):
        audit_window(0, 30)


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


def test_a_maintained_table_keeps_its_rows_and_the_window_and_no_business_day(
    spark, settings
) -> None:  # type: ignore[no-untyped-def]
    from delta.tables import DeltaTable

    from lakehouse import io
    from lakehouse.pipeline import context

    spec = io.TableSpec("gold", "small", spark.createDataFrame([], "leg string").schema)
    ctx = context(settings, date(2026, 11, 2), run_id="test-run")
    for leg in ("a", "b"):  # two small files for OPTIMIZE to compact
        io.append(spark.createDataFrame([(leg,)], spec.schema), settings, spec, ctx, step="t")
    [stored] = discover_tables(spark, settings.storage.root)
    assert stored == StoredTable("gold", "small", io.table_path(settings, spec))

    summary = maintain_table(spark, stored, 30, "maintenance-test")

    assert summary["table"] == "gold.small" and summary["retention_hours"] == 720
    assert summary["properties_set"] == sorted(
        ["delta.logRetentionDuration", "delta.deletedFileRetentionDuration"]
    )
    assert (summary["files_added"], summary["files_removed"]) == (1, 2)
    table = DeltaTable.forPath(spark, stored.path)
    assert sorted(r.leg for r in table.toDF().collect()) == ["a", "b"]
    properties = table.detail().first()["properties"]
    assert properties["delta.deletedFileRetentionDuration"] == "interval 30 days"
    metadata = [json.loads(r.userMetadata) for r in table.history().collect() if r.userMetadata]
    maintenance = [m for m in metadata if m["step"].startswith("maintenance.")]
    assert len(maintenance) >= 2  # the retention change and OPTIMIZE at least
    assert all(
        m == {"run_id": "maintenance-test", "step": "maintenance.gold.small"} for m in maintenance
    )
