"""``inspect_file``: a clean summary and exit code for every file, never a traceback."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.bronze import inspect as inspect_module
from lakehouse.bronze.formats.base import LEDGER_COLUMNS, FileRejected, ParsedFile
from lakehouse.bronze.inspect import EXIT_ACCEPTED, EXIT_REJECTED, inspect_file, render_text
from lakehouse.feed_formats import FeedFormat, feed_formats

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT.parent / "shared" / "samples"
SUMMARY_KEYS = {
    "path",
    "format",
    "status",
    "entries",
    "accounts",
    "currencies",
    "totals",
    "warnings",
    "reason",
}
ADYEN_BATCH_112 = """\
Merchant Account,Psp Reference,Merchant Reference,Creation Date,TimeZone,Type,Gross Currency,\
Gross Debit (GC),Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),\
Commission (NC),Markup (NC),Scheme Fees (NC),Interchange (NC),Batch Number
LendCoEU,8515131751004933,LN-1001-R3,2024-03-04 10:12:01,CET,Settled,EUR,,31.45,1,EUR,,31.15,,\
0.16,0.05,0.09,112
LendCoEU,8515131751004941,LN-1002-R1,2024-03-04 11:40:17,CET,Settled,EUR,,100.00,1,EUR,,98.80,\
1.20,,,,112
LendCoEU,8815131751005012,LN-0990-R7,2024-03-04 12:02:55,CET,Refunded,EUR,20.00,,1,EUR,20.10,,\
0.10,,,,112
LendCoEU,8815131751005103,LN-0950-R2,2024-03-04 15:30:00,CET,Chargeback,EUR,50.00,,1,EUR,50.00,,\
,,,,112
LendCoEU,,,2024-03-04 15:30:00,CET,Fee,,,,,EUR,7.50,,,,,,112
LendCoEU,,,2024-03-05 06:00:00,CET,MerchantPayout,,,,,EUR,52.35,,,,,,112
"""
LEDGER = (
    ",".join(LEDGER_COLUMNS)
    + "\nle_1,repayment,LN-1,M-1,31.45,EUR,2024-03-04,2024-03-04T10:12:01Z,LN-1-R3,adyen"
    + "\nle_2,repayment,LN-2,M-1,12.5O,EUR,2024-03-04,2024-03-04T10:13:00Z,LN-2-R1,adyen\n"
)
DECISION = {
    "decision_id": "d-1",
    "action": "match",
    "leg": "partner_bank",
    "left_ids": ["a"],
    "right_ids": ["b"],
    "item_id": None,
    "reason": None,
    "decided_by": "ops",
    "decided_at": "2024-03-06T10:00:00Z",
}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_consistent(summary: dict[str, object], code: int) -> None:
    assert set(summary) == SUMMARY_KEYS
    assert summary["status"] in ("ok", "rejected")
    assert code == (EXIT_ACCEPTED if summary["status"] == "ok" else EXIT_REJECTED)
    assert (summary["reason"] is None) == (summary["status"] == "ok")
    json.dumps(summary)  # serialisable as is (lakehouse inspect --json)


def test_adyen_file_is_accepted(tmp_path: Path) -> None:
    summary, code = inspect_file(write(tmp_path, "settlement.csv", ADYEN_BATCH_112.encode()))
    assert code == 0
    assert summary == {
        "path": str(tmp_path / "settlement.csv"),
        "format": "adyen",
        "status": "ok",
        "entries": 6,
        "accounts": ["LendCoEU"],
        "currencies": ["EUR"],
        "totals": {"fee:EUR": "1.60", "gross:EUR": "61.45", "net:EUR": "0.00"},
        "warnings": [],
        "reason": None,
    }


def test_quarantined_rows_are_warnings_not_rejection(tmp_path: Path) -> None:
    summary, code = inspect_file(write(tmp_path, "ledger.csv", LEDGER.encode()))
    assert_consistent(summary, code)
    assert (summary["status"], summary["format"], summary["entries"]) == ("ok", "ledger", 2)
    assert summary["warnings"] == [
        "1 rows quarantined: row 2: amount '12.5O' is not a decimal (write e.g. -12.50)"
    ]


def test_manual_decisions_are_accepted(tmp_path: Path) -> None:
    summary, code = inspect_file(write(tmp_path, "d.jsonl", (json.dumps(DECISION) + "\n").encode()))
    assert (summary["status"], summary["format"], summary["entries"], code) == (
        "ok",
        "manual_decisions",
        1,
        0,
    )


def test_rows_that_do_not_tie_reject_the_file(tmp_path: Path) -> None:
    data = ADYEN_BATCH_112.replace(",98.80,1.20,", ",98.90,1.20,").encode()
    summary, code = inspect_file(write(tmp_path, "settlement.csv", data))
    assert_consistent(summary, code)
    assert (summary["status"], summary["format"], code) == ("rejected", "adyen", 2)
    assert str(summary["reason"]).startswith("amounts do not tie: row 2")
    assert summary["entries"] == 0


def test_garbage_is_rejected_as_unrecognised(tmp_path: Path) -> None:
    summary, code = inspect_file(write(tmp_path, "garbage.bin", b"\x00\x9f garbage \xff"))
    assert_consistent(summary, code)
    assert (summary["status"], summary["format"], code) == ("rejected", None, 2)
    assert str(summary["reason"]).startswith("unrecognised format: ")


def test_missing_file_is_rejected_with_the_os_error(tmp_path: Path) -> None:
    summary, code = inspect_file(tmp_path / "nope.csv")
    assert_consistent(summary, code)
    assert code == 2
    assert "cannot read file" in str(summary["reason"])
    assert "No such file or directory" in str(summary["reason"])


def test_directory_is_rejected_with_the_os_error(tmp_path: Path) -> None:
    summary, code = inspect_file(tmp_path)
    assert_consistent(summary, code)
    assert str(summary["reason"]).startswith("cannot read file: [Errno")


def failing_parser(
    exc: Exception,
) -> Callable[[str, Path], Callable[[bytes, str], ParsedFile]]:
    def get_parser(name: str, layouts: Path) -> Callable[[bytes, str], ParsedFile]:
        def parse(data: bytes, path: str) -> ParsedFile:
            raise exc

        return parse

    return get_parser


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (ValueError("boom"), "parser error: ValueError: boom"),
        (KeyError("Ntry"), "parser error: KeyError: 'Ntry'"),
        (RecursionError("deep\nxml"), "parser error: RecursionError: deep xml"),
        (FileRejected("trailer missing", path="x"), "trailer missing"),
    ],
)
def test_any_parser_exception_is_a_clean_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: Exception, reason: str
) -> None:
    monkeypatch.setattr(inspect_module, "get_parser", failing_parser(exc))
    summary, code = inspect_file(write(tmp_path, "ledger.csv", LEDGER.encode()))
    assert_consistent(summary, code)
    assert (summary["status"], summary["format"], summary["reason"]) == (
        "rejected",
        "ledger",
        reason,
    )


def test_missing_parser_module_is_a_clean_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = FeedFormat("ledger", "ledger", "lakehouse.bronze.formats.not_written_yet")
    known = {**feed_formats(), "ledger": missing}
    monkeypatch.setattr("lakehouse.bronze.formats.feed_formats", lambda layouts: known)
    summary, code = inspect_file(write(tmp_path, "ledger.csv", LEDGER.encode()))
    assert code == 2
    assert str(summary["reason"]).startswith("parser error: ModuleNotFoundError: ")


def test_detection_crash_is_a_clean_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def detect(data: bytes, path: str, layouts: Path) -> str:
        raise OSError("conf unreadable")

    monkeypatch.setattr(inspect_module, "detect_format", detect)
    summary, code = inspect_file(write(tmp_path, "x.csv", b"a"))
    assert (summary["reason"], code) == ("format detection error: OSError: conf unreadable", 2)


def test_long_reason_is_one_bounded_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspect_module, "get_parser", failing_parser(ValueError("x\n" * 1000)))
    summary, _ = inspect_file(write(tmp_path, "ledger.csv", LEDGER.encode()))
    reason = str(summary["reason"])
    assert "\n" not in reason and len(reason) <= 500 and reason.endswith("...")


def test_render_text_ok_and_rejected(tmp_path: Path) -> None:
    ok, _ = inspect_file(write(tmp_path, "ledger.csv", LEDGER.encode()))
    text = render_text(ok)
    assert "format:     ledger" in text
    assert "status:     ok" in text
    assert "totals:     amount:EUR=31.45" in text
    assert "warnings:   1\n  - 1 rows quarantined" in text
    bad, _ = inspect_file(write(tmp_path, "garbage.bin", b"garbage"))
    text = render_text(bad)
    assert "format:     unrecognised" in text
    assert "status:     rejected" in text
    assert "reason:     unrecognised format: " in text


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=1500))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    summary, code = inspect_file(write(tmp_path, "random.bin", data))
    assert_consistent(summary, code)


# ------------------------------------------------------------------- real samples

# folder -> (format the content must be detected as, parser module it needs)
SAMPLE_FOLDERS = {
    "bai2": "bai2",
    "camt053": "camt053",
    "camt054": "camt054",
    "mt940": "mt940",
    "nacha": "nacha",
    "stripe": "stripe",
}
CONTENT_OVER_NAME = {"banana_camt054_v04_adrline_ubs.xml": "camt053"}  # really camt.053
NOT_IN_REGISTRY = ("paypal", "sumup")


def sample_files() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".md")


def parser_available(fmt: str) -> bool:
    try:
        return importlib.util.find_spec(feed_formats()[fmt].module) is not None
    except ImportError:
        return False


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real samples not found at {SAMPLES}")
@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_sample_gives_a_clean_result(path: Path) -> None:
    summary, code = inspect_file(path)
    assert_consistent(summary, code)
    if path.parent.name in NOT_IN_REGISTRY:
        # PayPal / SumUp have no layout in the registry: "unrecognised" is the right answer.
        assert summary["status"] == "rejected"
        assert str(summary["reason"]).startswith("unrecognised format")
        return
    expected = CONTENT_OVER_NAME.get(path.name, SAMPLE_FOLDERS[path.parent.name])
    if not parser_available(expected):
        pytest.skip(f"{feed_formats()[expected].module} is not written yet")
    assert summary["format"] == expected


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real samples not found at {SAMPLES}")
def test_stripe_samples_are_accepted() -> None:
    for path, rows in (
        (SAMPLES / "stripe" / "banana_balance_summary_format1_20231010.csv", 12),
        (SAMPLES / "stripe" / "banana_transactions_all_format1_20231004.csv", 18),
    ):
        summary, code = inspect_file(path)
        assert (summary["status"], summary["format"], summary["entries"], code) == (
            "ok",
            "stripe",
            rows,
            0,
        )


def test_a_layout_of_another_layouts_file_is_recognised(tmp_path: Path) -> None:
    from tests.test_feed_formats import layouts_with_acme

    layouts = layouts_with_acme(tmp_path)
    report = write(
        tmp_path,
        "acme.csv",
        b"Kind,Acme Ref,Order,Booked,Ccy,Gross,Fee,Net\n"
        b"Settled,A-1,O-1,2026-11-02 10:00,CHF,10.00,0.50,9.50\n",
    )
    summary, code = inspect_file(report, layouts)
    assert (summary["format"], summary["status"], summary["totals"]["net:CHF"], code) == (
        "acme",
        "ok",
        "9.50",
        0,
    )
    assert inspect_file(report)[0]["reason"].startswith("unrecognised format")
