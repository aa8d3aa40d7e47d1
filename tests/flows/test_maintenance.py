"""flows.maintenance: the flow checks its parameter before Spark starts."""

from __future__ import annotations

import pytest

from flows.maintenance import maintenance
from lakehouse.errors import ConfigError


@pytest.mark.parametrize("window", [-1, 0])
def test_a_bad_window_parameter_fails_before_spark_starts(monkeypatch, window: int) -> None:  # type: ignore[no-untyped-def]
    def no_spark() -> None:
        raise AssertionError("Spark started before the parameter was checked")

    monkeypatch.setattr("flows.maintenance.settings_and_spark", no_spark)
    with pytest.raises(ConfigError, match=f"audit_window_days must be >= 1, got {window}"):
        maintenance.fn(audit_window_days=window)
