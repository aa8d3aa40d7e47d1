"""The silver rows a reconcile run reads: the window by partition, decided items by key."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from lakehouse.gold.reconcile import _silver_window
from lakehouse.io import merge
from lakehouse.pipeline import context
from lakehouse.silver import ledger_entries

DAY = date(2026, 11, 20)
LOW = DAY - timedelta(days=21)


def _entry(entry_id: str, business_date: date) -> tuple[object, ...]:
    values = {
        "entry_id": entry_id,
        "event_type": "repayment",
        "amount": Decimal("10.00"),
        "currency": "EUR",
        "business_date": business_date,
        "_arrival_date": business_date,
        "_ingested_at": datetime(2026, 11, 1, 6, 0),
        "_source": "ledger",
        "_file_path": "ledger/day.csv",
        "_file_sha256": "0" * 64,
        "_row_number": 1,
        "_run_id": "refine",
    }
    return tuple(values.get(f.name) for f in ledger_entries.SCHEMA.fields)


def _scans(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if "FileScan" in line]


def test_window_is_read_by_partition_and_decided_items_by_key(spark, settings):
    rows = [
        _entry("LE-old-decided", LOW - timedelta(days=30)),
        _entry("LE-old", LOW - timedelta(days=30)),
        _entry("LE-edge", LOW),
        _entry("LE-today", DAY),
        _entry("LE-tomorrow", DAY + timedelta(days=1)),
    ]
    entries = spark.createDataFrame(rows, ledger_entries.SCHEMA)
    ctx = context(settings, DAY, run_id="reconcile")
    merge(entries, settings, ledger_entries.SPEC, ctx, step="refine")

    plain = _silver_window(spark, ctx, LOW, set())["ledger_entries"]
    decided = _silver_window(spark, ctx, LOW, {"LE-old-decided", "LE-today"})["ledger_entries"]

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
