"""What every flow shares: the scheduled run's business day."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from flows.common import default_business_date

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_default_business_day_is_yesterday_in_utc():
    assert default_business_date(datetime(2026, 11, 3, 0, 30, tzinfo=UTC)) == date(2026, 11, 2)
    # 01:00 in UTC+5 is still the 2nd in UTC: yesterday is the 1st, not the 2nd
    plus5 = datetime(2026, 11, 3, 1, 0, tzinfo=timezone(timedelta(hours=5)))
    assert default_business_date(plus5) == date(2026, 11, 1)
    # 23:30 in UTC-5 is already the 4th in UTC
    minus5 = datetime(2026, 11, 3, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert default_business_date(minus5) == date(2026, 11, 3)


def test_the_machines_time_zone_does_not_move_the_default_day():
    code = "from flows.common import default_business_date as d; print(d())"
    days = set()
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "UTC"):  # UTC+14, UTC-12
        env = {**os.environ, "TZ": zone, "PYTHONPATH": str(REPO_ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        days.add(done.stdout.strip())
    assert days == {str(datetime.now(UTC).date() - timedelta(days=1))}
