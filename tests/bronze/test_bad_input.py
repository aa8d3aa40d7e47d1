"""Bad input through the real landing zone and ingest: every run completes, every bad file
or row is kept with its reason, and for every file rows read = bronze + quarantined.

One scenario (two ingest runs of one day, every feed) is built once for the module;
each test checks one promise on its tables.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F

from lakehouse.bronze.ingest import IngestReport, ingest
from lakehouse.bronze.tables import MANIFEST, REJECTED_FILES, feed_table, quarantine_table
from lakehouse.config import Settings, load_settings
from lakehouse.io import read
from lakehouse.landing import LocalLandingZone
from lakehouse.pipeline import context

pytestmark = pytest.mark.spark

DAY = date(2026, 11, 2)
HEADER = (
    "entry_id,event_type,loan_id,merchant_id,amount,currency,effective_date,created_at,"
    "external_ref,channel"
)
TWO_MB = 2 * 1024 * 1024


def _ledger_row(entry: str, amount: str, ref: str = "REF") -> str:
    return f"{entry},repayment,LN-1,M-1,{amount},EUR,2026-11-02,2026-11-02T10:00:00Z,{ref},sepa"


# A non-UTF-8 (cp1252) ledger with every kind of bad amount and one 2 MB line.
BAD_LEDGER = "\n".join(
    [
        HEADER,
        _ledger_row("LE-1", "10.00", "Müller"),
        _ledger_row("LE-2", '"12,34"'),
        _ledger_row("LE-3", "1e5"),
        _ledger_row("LE-4", "NaN"),
        _ledger_row("LE-5", ""),
        _ledger_row("LE-6", "-0"),
        _ledger_row("LE-7", "5.00", "X" * TWO_MB),
    ]
).encode("cp1252")
CORRECTED_LEDGER = "\n".join(
    [HEADER, _ledger_row("LE-1", "10.00", "Müller"), _ledger_row("LE-2", "12.34")]
).encode("utf-8")
GOOD_CAMT = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
    b"<GrpHdr><MsgId>M1</MsgId></GrpHdr><Stmt><Id>S1</Id>"
    b"<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>"
    b'<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
    b"<BookgDt><Dt>2026-11-02</Dt></BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>"
)
STRIPE = (
    "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,description\n"
    'txn_1,2026-11-02 10:00:00,eur,10.00,0.30,9.70,charge,"first"\n'
    'txn_2,2026-11-02 11:00:00,eur,20.00,0.60,19.40,charge,"second, cut'
)
EXTENSIONS = {
    "ledger": "csv",
    "adyen": "csv",
    "stripe": "csv",
    "bai2": "bai",
    "camt053": "xml",
    "mt940": "sta",
    "nacha": "ach",
    "manual_decisions": "jsonl",
}


def _landed(settings: Settings) -> dict[str, dict[str, bytes]]:
    """feed -> file name -> bytes of the first delivery."""
    rng = random.Random(4242)
    files: dict[str, dict[str, bytes]] = {feed: {} for feed in EXTENSIONS}
    for feed, ext in EXTENSIONS.items():  # random bytes under every feed's name pattern
        files[feed][f"{feed}_2026-11-02_random.{ext}"] = rng.randbytes(3000)
    files["ledger"]["ledger_2026-11-02.csv"] = BAD_LEDGER
    files["ledger"]["ledger_2026-11-02_resent.csv"] = BAD_LEDGER  # the same bytes again
    files["ledger"]["ledger_2026-11-02_empty.csv"] = b""
    files["adyen"]["adyen_2026-11-02_empty.csv"] = b""  # the same (empty) bytes, another feed
    files["stripe"]["stripe_2026-11-02_truncated.csv"] = STRIPE.encode()
    files["camt053"]["camt053_2026-11-02_truncated.xml"] = GOOD_CAMT[: len(GOOD_CAMT) // 2]
    files["mt940"]["mt940_2026-11-02_long_line.sta"] = b":20:REF\n:86:" + b"x" * TWO_MB
    files["nacha"]["nacha_2026-11-02_long_line.ach"] = b"9" * TWO_MB
    return files


@dataclass
class Scenario:
    settings: Settings
    landed: dict[str, dict[str, bytes]]
    first: IngestReport
    second: IngestReport
    manifest: list[Any]
    rejected: list[Any]
    bronze: dict[str, Counter[tuple[str, int]]]  # feed -> (sha, row number) -> count
    quarantine: dict[str, list[Any]]


@pytest.fixture(scope="module")
def scenario(spark, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("bad_input")
    settings = load_settings(
        env={"LAKEHOUSE_ROOT": str(root / "lakehouse"), "LAKEHOUSE_LANDING": str(root / "in")}
    )
    zone = LocalLandingZone(settings.storage.landing)
    landed = _landed(settings)
    for feed, files in landed.items():
        for name, data in files.items():
            zone.put(feed, name, data)
    first = ingest(spark, zone, context(settings, DAY, "bad-input-1"))
    # the sender corrects the ledger and delivers it again under the same name
    zone.put("ledger", "ledger_2026-11-02.csv", CORRECTED_LEDGER)
    second = ingest(spark, zone, context(settings, DAY, "bad-input-2"))
    bronze: dict[str, Counter[tuple[str, int]]] = {}
    quarantine: dict[str, list[Any]] = {}
    for name in EXTENSIONS:
        feed = settings.feed(name)
        rows = read(spark, settings, feed_table(feed)).select("_file_sha256", "_row_number")
        bronze[name] = Counter((r[0], r[1]) for r in rows.collect())
        quarantine[name] = read(spark, settings, quarantine_table(feed)).collect()
    return Scenario(
        settings,
        landed,
        first,
        second,
        read(spark, settings, MANIFEST).collect(),
        read(spark, settings, REJECTED_FILES).collect(),
        bronze,
        quarantine,
    )


def _name(path: str) -> str:
    return Path(path).name


def test_every_landed_file_has_an_outcome_and_every_new_one_a_manifest_row(
    scenario: Scenario,
) -> None:
    landed = {(feed, name) for feed, files in scenario.landed.items() for name in files}
    outcomes = {(o.feed, _name(o.path)) for o in scenario.first.outcomes}
    assert outcomes == landed
    recorded = {(m.feed, m.file_sha256) for m in scenario.manifest}
    for outcome in scenario.first.outcomes + scenario.second.outcomes:
        if outcome.status != "skipped":
            assert (outcome.feed, outcome.sha256) in recorded, outcome
    assert len(recorded) == len(scenario.manifest)  # one row per feed and content


def test_rows_read_equal_bronze_plus_quarantined_for_every_file(scenario: Scenario) -> None:
    for m in scenario.manifest:
        in_bronze = sum(
            n for (sha, _), n in scenario.bronze[m.feed].items() if sha == m.file_sha256
        )
        quarantined = sum(1 for q in scenario.quarantine[m.feed] if q._file_sha256 == m.file_sha256)
        assert (m.rows_bronze, m.rows_quarantined) == (in_bronze, quarantined), m
        assert m.rows_read == in_bronze + quarantined, m


def test_bronze_keys_are_unique(scenario: Scenario) -> None:
    for feed, keys in scenario.bronze.items():
        assert [key for key, n in keys.items() if n > 1] == [], feed


def test_every_rejected_file_is_kept_with_a_reason(scenario: Scenario) -> None:
    rejected = {(r.feed, r.file_sha256): r.reason for r in scenario.rejected}
    for m in scenario.manifest:
        if m.status == "rejected":
            assert rejected[(m.feed, m.file_sha256)] == m.reason and m.reason.strip(), m
            assert not any(sha == m.file_sha256 for sha, _ in scenario.bronze[m.feed])
    assert len(rejected) == len(scenario.rejected)
    random_files = {(o.feed, o.status) for o in scenario.first.outcomes if "_random." in o.path}
    assert random_files == {(feed, "rejected") for feed in EXTENSIONS}


def test_every_quarantined_row_has_a_reason(scenario: Scenario) -> None:
    for feed, rows in scenario.quarantine.items():
        assert all(row.reason and row.reason.strip() for row in rows), feed


def test_bad_amounts_and_a_2mb_line_are_quarantined_row_by_row(scenario: Scenario) -> None:
    (outcome,) = [o for o in scenario.first.outcomes if _name(o.path) == "ledger_2026-11-02.csv"]
    assert (outcome.status, outcome.rows_bronze, outcome.rows_quarantined) == ("ingested", 2, 5)
    assert "read as cp1252" in outcome.detail
    reasons = {
        q._row_number: q.reason
        for q in scenario.quarantine["ledger"]
        if q._file_sha256 == outcome.sha256
    }
    assert sorted(reasons) == [2, 3, 4, 5, 7]
    assert reasons[2] == "amount '12,34' is not a decimal (write e.g. -12.50)"
    assert reasons[3] == "amount '1e5' is not a decimal (write e.g. -12.50)"
    assert reasons[4] == "amount 'NaN' is not a decimal (write e.g. -12.50)"
    assert reasons[5] == "amount is blank"
    assert reasons[7].startswith("column 9 holds 2097152 characters")


def test_minus_zero_is_kept_as_zero(spark, scenario: Scenario) -> None:
    feed = scenario.settings.feed("ledger")
    rows = read(spark, scenario.settings, feed_table(feed)).where(F.col("entry_id") == "LE-6")
    assert [r.amount for r in rows.collect()] == ["0"]


def test_empty_files_are_rejected_per_feed(scenario: Scenario) -> None:
    empty = [o for o in scenario.first.outcomes if _name(o.path).endswith("_empty.csv")]
    assert sorted((o.feed, o.status) for o in empty) == [
        ("adyen", "rejected"),
        ("ledger", "rejected"),
    ]
    assert all(o.detail.startswith("empty file") for o in empty)


def test_same_bytes_under_a_new_name_is_skipped_with_the_reason(scenario: Scenario) -> None:
    (resent,) = [o for o in scenario.first.outcomes if "_resent" in o.path]
    assert resent.status == "skipped"
    assert resent.detail == f"same bytes as {Path(scenario.settings.storage.landing)}" + (
        "/ledger/ledger_2026-11-02.csv"
    )


def test_truncated_files_are_rejected(scenario: Scenario) -> None:
    outcomes = {_name(o.path): o for o in scenario.first.outcomes}
    xml = outcomes["camt053_2026-11-02_truncated.xml"]
    assert (xml.status, xml.detail.startswith("not well-formed XML")) == ("rejected", True)
    csv = outcomes["stripe_2026-11-02_truncated.csv"]
    assert (csv.status, csv.detail.startswith("truncated: the file ends inside")) == (
        "rejected",
        True,
    )


def test_a_corrected_redelivery_is_a_new_file(scenario: Scenario) -> None:
    again = [o for o in scenario.second.outcomes if o.status != "skipped"]
    assert [(o.feed, _name(o.path), o.status, o.rows_bronze) for o in again] == [
        ("ledger", "ledger_2026-11-02.csv", "ingested", 2)
    ]
    versions = [m for m in scenario.manifest if m.file_name == "ledger_2026-11-02.csv"]
    assert len({m.file_sha256 for m in versions}) == 2
