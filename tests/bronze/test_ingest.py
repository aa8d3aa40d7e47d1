"""Exactly-once ingestion into bronze: hashes, rejections, quarantine, crash recovery."""

from __future__ import annotations

from datetime import date

import pytest

from lakehouse.bronze import ingest as ingest_module
from lakehouse.bronze.ingest import ingest
from lakehouse.bronze.tables import MANIFEST, REJECTED_FILES, feed_table, quarantine_table
from lakehouse.io import read
from lakehouse.landing import LocalLandingZone

LEDGER = (
    "entry_id,event_type,loan_id,merchant_id,amount,currency,effective_date,created_at,"
    "external_ref,channel\r\n"
    "LE-1,repayment,LN-1,M-1,10.00,EUR,2026-11-02,2026-11-02T10:00:00Z,RP-1,adyen\r\n"
    "LE-2,repayment,LN-2,M-1,oops,EUR,2026-11-02,2026-11-02T10:00:00Z,RP-2,adyen\r\n"
    "LE-3,refund,LN-3,M-2,-5.00,EUR,2026-11-02,2026-11-02T11:00:00Z,RF-3,adyen\r\n"
)


def _zone(settings) -> LocalLandingZone:
    return LocalLandingZone(settings.storage.landing)


def test_rows_read_equal_bronze_plus_quarantine_and_same_bytes_skipped(spark, settings, ctx):
    zone = _zone(settings)
    zone.put("ledger", "ledger_2026-11-02.csv", LEDGER.encode())
    zone.put("ledger", "ledger_2026-11-02_copy.csv", LEDGER.encode())  # same bytes, new name
    report = ingest(spark, zone, ctx, feeds=["ledger"])
    assert [o.status for o in report.outcomes] == ["ingested", "skipped"]
    assert "same bytes as" in report.outcomes[1].detail
    feed = settings.feed("ledger")
    bronze = read(spark, settings, feed_table(feed))
    quarantine = read(spark, settings, quarantine_table(feed)).collect()
    assert sorted(r.entry_id for r in bronze.collect()) == ["LE-1", "LE-3"]
    assert [(q._row_number, "amount" in q.reason) for q in quarantine] == [(2, True)]
    manifest = read(spark, settings, MANIFEST).collect()
    assert [(m.rows_read, m.rows_bronze, m.rows_quarantined) for m in manifest] == [(3, 2, 1)]
    # a second run finds nothing new
    again = ingest(spark, zone, ctx, feeds=["ledger"])
    assert {o.status for o in again.outcomes} == {"skipped"}
    assert read(spark, settings, feed_table(feed)).count() == 2


def test_changed_file_with_same_name_is_a_new_file(spark, settings, ctx):
    zone = _zone(settings)
    zone.put("ledger", "ledger_2026-11-02.csv", LEDGER.encode())
    ingest(spark, zone, ctx, feeds=["ledger"])
    zone.put("ledger", "ledger_2026-11-02.csv", LEDGER.replace("10.00", "11.00").encode())
    report = ingest(spark, zone, ctx, feeds=["ledger"])
    assert [o.status for o in report.outcomes] == ["ingested"]


def test_unparseable_file_goes_whole_to_rejected_files(spark, settings, ctx):
    zone = _zone(settings)
    zone.put("bai2", "bai2_2026-11-02.bai", b"01,not really bai2\n")
    report = ingest(spark, zone, ctx, feeds=["bai2"])
    assert [o.status for o in report.outcomes] == ["rejected"]
    rejected = read(spark, settings, REJECTED_FILES).collect()
    assert len(rejected) == 1 and rejected[0].reason
    assert read(spark, settings, MANIFEST).collect()[0].status == "rejected"


def test_files_arriving_after_the_business_day_wait(spark, settings, ctx):
    zone = _zone(settings)
    zone.put("ledger", "ledger_2026-11-03.csv", LEDGER.encode())
    assert ingest(spark, zone, ctx, feeds=["ledger"]).outcomes == []
    later = ingest(
        spark, zone, ctx.__class__(ctx.run_id, date(2026, 11, 3), settings), feeds=["ledger"]
    )
    assert [o.status for o in later.outcomes] == ["ingested"]


def test_crash_before_the_manifest_does_not_duplicate_rows(spark, settings, ctx, monkeypatch):
    zone = _zone(settings)
    zone.put("ledger", "ledger_2026-11-02.csv", LEDGER.encode())
    real_append = ingest_module.append

    def crash_on_manifest(df, settings_, spec, ctx_, **kwargs):
        if spec.name == MANIFEST.name:
            raise RuntimeError("simulated crash before the manifest commit")
        return real_append(df, settings_, spec, ctx_, **kwargs)

    monkeypatch.setattr(ingest_module, "append", crash_on_manifest)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(spark, zone, ctx, feeds=["ledger"])
    monkeypatch.setattr(ingest_module, "append", real_append)
    report = ingest(spark, zone, ctx, feeds=["ledger"])
    assert [o.status for o in report.outcomes] == ["ingested"]
    feed = settings.feed("ledger")
    assert read(spark, settings, feed_table(feed)).count() == 2  # not 4
    assert read(spark, settings, quarantine_table(feed)).count() == 1


def test_empty_files_of_two_feeds_are_each_rejected_and_recorded(spark, settings, ctx):
    zone = _zone(settings)
    zone.put("ledger", "ledger_2026-11-02.csv", b"")
    zone.put("adyen", "adyen_2026-11-02.csv", b"")
    report = ingest(spark, zone, ctx, feeds=["ledger", "adyen"])
    assert [(o.feed, o.status) for o in report.outcomes] == [
        ("ledger", "rejected"),
        ("adyen", "rejected"),
    ]
    rejected = read(spark, settings, REJECTED_FILES).collect()
    assert sorted((r.feed, r.reason.startswith("empty file")) for r in rejected) == [
        ("adyen", True),
        ("ledger", True),
    ]
    manifest = read(spark, settings, MANIFEST).collect()
    assert sorted((m.feed, m.status, m.rows_read) for m in manifest) == [
        ("adyen", "rejected", 0),
        ("ledger", "rejected", 0),
    ]


def test_same_bytes_under_a_new_name_is_said_and_logged(spark, settings, ctx, caplog):
    zone = _zone(settings)
    zone.put("ledger", "ledger_2026-11-02.csv", LEDGER.encode())
    zone.put("ledger", "ledger_2026-11-02_again.csv", LEDGER.encode())
    said: list[str] = []
    report = ingest(spark, zone, ctx, feeds=["ledger"], progress=said.append)
    skipped = [o for o in report.outcomes if o.status == "skipped"]
    assert [o.path.rsplit("/", 1)[-1] for o in skipped] == ["ledger_2026-11-02_again.csv"]
    assert any("ledger_2026-11-02_again.csv" in line and "same bytes as" in line for line in said)
    assert "ledger_2026-11-02_again.csv: the same bytes as" in caplog.text.replace("skipped ", "")
    again: list[str] = []
    ingest(spark, zone, ctx, feeds=["ledger"], progress=again.append)
    assert "1 files ingested by earlier runs skipped" in again


def test_missing_landing_zone_is_a_warning(spark, settings, ctx):
    zone = LocalLandingZone(str(settings.storage.landing) + "-nowhere")
    said: list[str] = []
    report = ingest(spark, zone, ctx, progress=said.append)
    assert report.outcomes == []
    (warning,) = report.warnings
    assert warning.startswith(f"landing zone {zone.location} does not exist: nothing to ingest")
    assert said == [f"warning: {warning}"]


def test_a_day_without_files_is_a_warning(spark, settings, ctx):
    zone = _zone(settings)
    zone.put("ledger", "ledger_2026-11-01.csv", LEDGER.encode())
    report = ingest(spark, zone, ctx, feeds=["ledger"])
    assert [o.status for o in report.outcomes] == ["ingested"]  # the day before's file
    (warning,) = report.warnings
    assert warning.startswith("no file of feeds ledger in landing zone ")
    assert "arrived on 2026-11-02 (1 files arrived before)" in warning
    zone.put("ledger", "ledger_2026-11-02.csv", LEDGER.replace("10.00", "12.00").encode())
    assert ingest(spark, zone, ctx, feeds=["ledger"]).warnings == []


def test_a_parser_crash_rejects_the_file_and_the_run_goes_on(spark, settings, ctx, monkeypatch):
    zone = _zone(settings)
    zone.put("bai2", "bai2_2026-11-02.bai", b"01,anything\n")
    zone.put("ledger", "ledger_2026-11-02.csv", LEDGER.encode())
    real = ingest_module.get_parser

    def crashing(name, layouts):
        if name != "bai2":
            return real(name, layouts)

        def parse(data, path):
            raise RecursionError("maximum recursion depth exceeded\nin parse")

        return parse

    monkeypatch.setattr(ingest_module, "get_parser", crashing)
    report = ingest(spark, zone, ctx, feeds=["bai2", "ledger"])
    assert [o.status for o in report.outcomes] == ["rejected", "ingested"]
    (rejected,) = read(spark, settings, REJECTED_FILES).collect()
    assert rejected.reason == (
        "parser error: RecursionError: maximum recursion depth exceeded in parse"
    )


@pytest.mark.parametrize(
    ("rows", "parallelism", "partitions"),
    [(0, 2, 2), (1_000_000, 2, 2), (2_000_001, 2, 3), (10_017_571, 2, 11), (10_000_000, 16, 16)],
)
def test_a_large_file_is_written_in_partitions_of_bounded_rows(
    rows: int, parallelism: int, partitions: int
) -> None:
    assert ingest_module.ROWS_PER_PARTITION == 1_000_000
    assert ingest_module.write_partitions(rows, parallelism) == partitions
