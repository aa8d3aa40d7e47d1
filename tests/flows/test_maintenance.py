"""flows.maintenance: the audit window setting and the retention it implies (no Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.maintenance import (
    AUDIT_WINDOW_ENV,
    interval_hours,
    load_audit_window_days,
    retention_updates,
    vacuum_retention_hours,
)
from lakehouse.errors import ConfigError


def test_audit_window_defaults_to_the_repository_conf() -> None:
    assert load_audit_window_days(env={}) == 30


def test_audit_window_from_file_and_env(tmp_path: Path) -> None:
    conf = tmp_path / "lakehouse.toml"
    conf.write_text("[maintenance]\naudit_window_days = 45\n", encoding="utf-8")
    assert load_audit_window_days(conf, env={}) == 45
    assert load_audit_window_days(conf, env={AUDIT_WINDOW_ENV: "60"}) == 60
    conf.write_text("[storage]\nroot = 'x'\n", encoding="utf-8")
    assert load_audit_window_days(conf, env={}) == 30  # section missing: default


@pytest.mark.parametrize("bad", ["0", "-3", "thirty", "1.5"])
def test_audit_window_rejects_bad_values(bad: str) -> None:
    with pytest.raises(ConfigError, match=AUDIT_WINDOW_ENV):
        load_audit_window_days(env={AUDIT_WINDOW_ENV: bad})


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
