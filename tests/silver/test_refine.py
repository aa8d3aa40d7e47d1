"""The refine step is incremental: each bronze row is refined once, newest ingestion wins."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from lakehouse.errors import LakehouseError
from lakehouse.io import read, table_path
from lakehouse.pipeline import context, run_ingest, run_refine
from lakehouse.silver import ledger_entries
from lakehouse.silver.refine import QUALITY_METRICS, REFINE_STATE
from lakehouse.synthetic.writers import ledger_csv

DAY1, DAY2 = date(2026, 11, 2), date(2026, 11, 3)


def _entry(entry_id: str, amount: str) -> dict[str, str]:
    return {
        "entry_id": entry_id,
        "event_type": "repayment",
        "loan_id": "LN-1",
        "merchant_id": "M-1",
        "amount": amount,
        "currency": "USD",
        "effective_date": "2026-11-02",
        "created_at": "2026-11-02T09:00:00Z",
        "external_ref": f"REF-{entry_id}",
        "channel": "ach",
    }


def _land(settings, name: str, *entries: dict[str, str]) -> None:
    folder = Path(settings.storage.landing) / "ledger"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(ledger_csv(list(entries)))


def _version(spark, settings, spec) -> int:
    from delta.tables import DeltaTable

    history = DeltaTable.forPath(spark, table_path(settings, spec)).history(1)
    return int(history.select("version").first()[0])


def test_refine_reads_only_rows_ingested_since_its_watermark(spark, settings):
    _land(settings, "ledger_2026-11-02.csv", _entry("E1", "10.00"), _entry("E2", "20.00"))
    day1 = context(settings, DAY1)
    run_ingest(spark, day1)
    assert run_refine(spark, day1)["ledger_entries"] == {"rows": 2, "quarantined": 0}
    silver_version = _version(spark, settings, ledger_entries.SPEC)

    # a re-run finds nothing new: no rows refined, no new silver version
    assert run_refine(spark, context(settings, DAY1))["ledger_entries"]["rows"] == 0
    assert _version(spark, settings, ledger_entries.SPEC) == silver_version

    # the next day re-delivers E2 corrected, inside the lookback: only that file is read
    _land(settings, "ledger_2026-11-03.csv", _entry("E2", "25.00"), _entry("E3", "30.00"))
    day2 = context(settings, DAY2)
    run_ingest(spark, day2)
    assert run_refine(spark, day2)["ledger_entries"] == {"rows": 2, "quarantined": 0}
    silver = read(spark, settings, ledger_entries.SPEC)
    amounts = {r.entry_id: str(r.amount) for r in silver.select("entry_id", "amount").collect()}
    assert amounts == {"E1": "10.00", "E2": "25.00", "E3": "30.00"}

    # refining the first day again after the second is refused, naming the command
    # that reprocesses it; the old E2 never comes back
    with pytest.raises(LakehouseError, match="lakehouse run --date 2026-11-02"):
        run_refine(spark, context(settings, DAY1))
    silver = read(spark, settings, ledger_entries.SPEC).where(F.col("entry_id") == "E2")
    assert [str(r.amount) for r in silver.collect()] == ["25.00"]

    state = read(spark, settings, REFINE_STATE).where(F.col("table") == "ledger_entries")
    assert state.first().as_of == DAY2
    checked = (
        read(spark, settings, QUALITY_METRICS)
        .where((F.col("table") == "ledger_entries") & (F.col("rule") == "amount_is_decimal"))
        .groupBy("as_of")
        .agg(F.sum("total_rows").alias("rows"))
    )
    assert {r.as_of: r.rows for r in checked.collect()} == {DAY1: 2, DAY2: 2}


def test_key_bounds_are_the_least_and_greatest_key_or_none(spark) -> None:  # type: ignore[no-untyped-def]
    from lakehouse.silver.refine import key_bounds

    rows = spark.createDataFrame([("LE-2",), ("LE-10",), ("LE-3",)], "entry_id string")
    assert key_bounds(rows, "entry_id") == ("LE-10", "LE-3")
    assert key_bounds(rows.where("false"), "entry_id") is None
