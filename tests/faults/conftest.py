"""One small generated lakehouse for the whole fault suite.

Three generated days (seed 11, 40 ledger events a day) plus a corrected ledger file
delivered on day 3 that restates an entry of day 2. ``clean`` runs the three days
once, in order, on a fresh lakehouse: the reference every fault is compared with. It
keeps a copy of the lakehouse after day 2, from which each fault re-runs day 3.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.faults.invariants import gold_books, quality_totals

START = date(2026, 11, 2)
DAYS = 3
LAST = START + timedelta(days=DAYS - 1)
CORRECTED_ENTRY_DAY = START + timedelta(days=1)

# CI runs the cheaper faults; LAKEHOUSE_FAULTS_LONG=1 (the bench machine) runs them all
LONG = os.environ.get("LAKEHOUSE_FAULTS_LONG") == "1"
long_only = pytest.mark.skipif(not LONG, reason="long variant: LAKEHOUSE_FAULTS_LONG=1")

# a crashed holder's writer lease is stale after 2 x 0.25 s: the re-run need not wait
FAST_LEASE = {
    "LAKEHOUSE__LEASE__HEARTBEAT_SECONDS": "0.25",
    "LAKEHOUSE__LEASE__STALE_AFTER_HEARTBEATS": "2",
    "LAKEHOUSE__LEASE__WAIT_SECONDS": "120",
}


@dataclass(frozen=True)
class Clean:
    base: Path
    landing: Path
    root: Path  # the clean run of every day
    after_day2: Path  # a copy of it after day 2
    gold: dict[str, list[tuple[Any, ...]]]
    quality: dict[tuple[str, str], int]
    corrected_entry: str

    def env(self, root: Path, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            **FAST_LEASE,
            "LAKEHOUSE_ROOT": str(root),
            "LAKEHOUSE_LANDING": str(self.landing),
            **extra,
        }

    def settings(self, root: Path) -> Any:
        from lakehouse.config import load_settings

        return load_settings(env=self.env(root))

    def copy(self, source: Path, name: str) -> Path:
        target = self.base / name
        shutil.copytree(source, target)
        return target


def _write_correction(landing: Path) -> str:
    """A ledger file delivered on day 3 restating one entry of day 2 (amount + 1.00)."""
    source = landing / "ledger" / f"ledger_{CORRECTED_ENTRY_DAY.isoformat()}.csv"
    header, first = source.read_text().splitlines()[:2]
    fields = first.split(",")
    amount = header.split(",").index("amount")
    fields[amount] = str(Decimal(fields[amount]) + Decimal("1.00"))
    target = landing / "ledger" / f"ledger_{LAST.isoformat()}_correction.csv"
    target.write_text(f"{header}\r\n{','.join(fields)}\r\n")
    return fields[0]


@pytest.fixture(scope="session")
def clean(spark, tmp_path_factory) -> Iterator[Clean]:  # type: ignore[no-untyped-def]
    from lakehouse.pipeline import run_day
    from lakehouse.synthetic.generator import generate

    base = tmp_path_factory.mktemp("faults")
    landing = base / "landing"
    generate(11, START, DAYS, 40, landing)
    corrected = _write_correction(landing)
    root = base / "clean"
    draft = Clean(base, landing, root, base / "after-day2", {}, {}, corrected)
    settings = draft.settings(root)
    for i in range(DAYS - 1):
        run_day(START + timedelta(days=i), settings, spark)
    shutil.copytree(root, draft.after_day2)
    run_day(LAST, settings, spark)
    yield Clean(
        base, landing, root, draft.after_day2, gold_books(root), quality_totals(root), corrected
    )
