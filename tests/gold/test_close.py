"""When the next day may start from the close a reconcile run left (gold._open_items)
instead of re-reading the whole window."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F

from lakehouse.gold import open_items
from lakehouse.gold.close import _close_of, fresh, previous_close, rewrites_rows
from lakehouse.gold.snapshot import METADATA_KEY, SilverSnapshot, TableAsOf
from lakehouse.io import merge
from lakehouse.pipeline import context
from lakehouse.silver import ledger_entries
from tests.builders import leg_items, silver_ledger_entries

DAY = date(2026, 11, 2)
MARK = datetime(2026, 11, 2, 6, 0)


@pytest.mark.parametrize(
    ("row", "rewrites"),
    [
        (Row(operation="MERGE", operationMetrics={"numTargetRowsInserted": "9"}), False),
        (Row(operation="MERGE", operationMetrics={"numTargetRowsUpdated": "1"}), True),
        (Row(operation="MERGE", operationMetrics={"numTargetRowsDeleted": "2"}), True),
        (Row(operation="WRITE", operationParameters={"mode": "Append"}), False),
        (Row(operation="WRITE", operationParameters={"mode": "Overwrite"}), True),
        (Row(operation="OPTIMIZE"), False),
        (Row(operation="DELETE"), True),
        (Row(operation="RESTORE"), True),
    ],
)
def test_only_commits_that_add_rows_keep_a_close_valid(row, rewrites):
    fields = {"operationMetrics": None, "operationParameters": None, **row.asDict()}
    assert rewrites_rows(Row(**fields)) is rewrites


def _close(spark, settings, day: date, fingerprint: str) -> None:
    rows = open_items.transform("ledger_partner", "left", leg_items(spark, {"item_id": "L1"}), day)
    ctx = context(settings, day, run_id=f"run-{day}")
    open_items.write(rows, ctx, open_items.Close(day, MARK, {"ledger_entries": MARK}, fingerprint))


def test_the_next_day_starts_from_the_close_of_the_day_before(spark, settings):
    assert previous_close(spark, settings, DAY, "rules-1") == (None, "no close recorded yet")
    _close(spark, settings, DAY, "rules-1")
    close, _ = previous_close(spark, settings, DAY + timedelta(days=1), "rules-1")
    assert close is not None
    assert (close.as_of, close.watermarks, close.fingerprint) == (
        DAY,
        {"ledger_entries": MARK},
        "rules-1",
    )
    # a re-run of DAY starts from DAY - 1, which has no close
    assert previous_close(spark, settings, DAY, "rules-1")[0] is None
    # a gap of a day: the whole window is re-read
    gap = previous_close(spark, settings, DAY + timedelta(days=2), "rules-1")
    assert gap == (None, f"no close for {DAY + timedelta(days=1)}")
    changed = previous_close(spark, settings, DAY + timedelta(days=1), "rules-2")
    assert changed == (None, "rules or window changed since the close")


def test_a_close_past_retention_is_not_a_start(spark, settings):
    _close(spark, settings, DAY, "rules-1")
    later = DAY + timedelta(days=open_items.KEEP_DAYS + 1)
    _close(spark, settings, later, "rules-1")
    # a re-run of DAY + 1 after later's run dropped DAY's partition
    close, why = previous_close(spark, settings, DAY + timedelta(days=1), "rules-1")
    assert close is None and why == f"the close of {DAY} is past its retention"
    kept = open_items.SPEC
    remaining = spark.read.format("delta").load(settings.storage.table_path("gold", kept.name))
    assert [r.as_of for r in remaining.select("as_of").distinct().collect()] == [later]


def test_a_restated_silver_row_makes_the_next_day_reread_the_window(spark, settings):
    _close(spark, settings, DAY, "rules-1")
    entries = silver_ledger_entries(
        spark, {"entry_id": "LE-1", "business_date": DAY, "_ingested_at": MARK}
    )
    ctx = context(settings, DAY + timedelta(days=1), run_id="refine")
    merge(entries, settings, ledger_entries.SPEC, ctx, step="refine")  # an insert: still valid
    assert previous_close(spark, settings, DAY + timedelta(days=1), "rules-1")[0] is not None
    restated = entries.withColumn("event_type", F.lit("refund"))
    merge(restated, settings, ledger_entries.SPEC, ctx, step="refine")
    close, why = previous_close(spark, settings, DAY + timedelta(days=1), "rules-1")
    assert close is None and why.startswith("silver.ledger_entries version 2 (MERGE)")


def test_a_close_made_in_a_replay_has_seen_the_versions_as_of_its_day_only():
    """A replay of D reads silver as of D (version 2) plus late rows dated by D from the
    newest version (3); a row version 3 restated for a later day was not read, so the
    close records version 2 and the restatement still makes D + 1 re-read the window."""
    read = SilverSnapshot(
        DAY,
        {
            "ledger_entries": TableAsOf(2, MARK, 3, MARK + timedelta(hours=1)),
            "bank_transactions": TableAsOf(1, MARK),
        },
    )
    close = open_items.Close(DAY, MARK, read.watermarks(), "rules-1")
    row = Row(
        as_of=DAY.isoformat(),
        timestamp=MARK,
        userMetadata=json.dumps({**close.metadata(), METADATA_KEY: read.metadata()}),
    )
    assert _close_of(row).versions == {"ledger_entries": 2, "bank_transactions": 1}


def test_fresh_rows_are_those_the_close_had_not_seen(spark):
    close = open_items.Close(DAY, MARK, {"ledger_entries": MARK, "bank_transactions": None}, "f")
    rows = [
        ("seen", DAY, MARK),
        ("arrived today", DAY + timedelta(days=1), MARK),
        ("late file", DAY - timedelta(days=1), MARK + timedelta(minutes=5)),
    ]
    frame = spark.createDataFrame(rows, "id string, _arrival_date date, _ingested_at timestamp")
    got = fresh({"ledger_entries": frame, "bank_transactions": frame}, close)
    assert sorted(r.id for r in got["ledger_entries"].collect()) == ["arrived today", "late file"]
    # a table the close had no watermark for was empty then: all of it is new
    assert got["bank_transactions"].count() == 3
