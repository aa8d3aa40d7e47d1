from __future__ import annotations

from datetime import date

from lakehouse.asof import close_version

D2, D3 = date(2026, 11, 2), date(2026, 11, 3)


def test_last_version_before_a_later_day_wrote():
    history = [
        (0, None),
        (1, "2026-11-02"),
        (2, "2026-11-02"),
        (3, "2026-11-03"),
        (4, None),
        (5, "2026-11-02"),
    ]  # 5: a backfill re-ran the 2nd after the 3rd
    assert close_version(history, D2) == 2
    assert close_version(history, D3) == 5
    assert close_version(history, date(2026, 11, 1)) is None
    assert close_version(list(reversed(history)), D2) == 2
