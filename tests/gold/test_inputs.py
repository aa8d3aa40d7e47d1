"""The silver rows a reconcile run reads: the window by partition, decided items by key."""

from __future__ import annotations

from datetime import date, timedelta

from lakehouse.gold.inputs import silver_window
from lakehouse.gold.snapshot import silver_as_known_by
from lakehouse.io import merge
from lakehouse.pipeline import context
from lakehouse.silver import ledger_entries
from tests.builders import silver_ledger_entries

DAY = date(2026, 11, 20)
LOW = DAY - timedelta(days=21)


def _scans(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if "FileScan" in line]


def test_window_is_read_by_partition_and_decided_items_by_key(spark, settings):
    entries = silver_ledger_entries(
        spark,
        {"entry_id": "LE-old-decided", "business_date": LOW - timedelta(days=30)},
        {"entry_id": "LE-old", "business_date": LOW - timedelta(days=30)},
        {"entry_id": "LE-edge", "business_date": LOW},
        {"entry_id": "LE-today", "business_date": DAY},
        {"entry_id": "LE-tomorrow", "business_date": DAY + timedelta(days=1)},
    )
    ctx = context(settings, DAY, run_id="reconcile")
    merge(entries, settings, ledger_entries.SPEC, ctx, step="refine")

    known = silver_as_known_by(spark, settings, DAY).read(spark, settings)
    plain = silver_window(known, ctx, LOW, set())["ledger_entries"]
    decided = silver_window(known, ctx, LOW, {"LE-old-decided", "LE-today"})["ledger_entries"]

    assert sorted(r.entry_id for r in plain.collect()) == ["LE-edge", "LE-today"]
    # a decided item inside the window is read once, one outside it is added
    assert sorted(r.entry_id for r in decided.collect()) == [
        "LE-edge",
        "LE-old-decided",
        "LE-today",
    ]
    # each read prunes business_date partitions: a decision must not make every run
    # scan all of silver's history ("window OR decided key" pruned nothing)
    scans = _scans(decided._jdf.queryExecution().executedPlan().toString())
    assert len(scans) == 2
    assert all("PartitionFilters: [coalesce" in s or "PartitionFilters: [NOT" in s for s in scans)
    assert any("In(entry_id" in s for s in scans)
