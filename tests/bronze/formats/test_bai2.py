"""BAI2 parser on the real samples in ../shared/samples/bai2: every sample accepted
with its accounts, totals and rows, the dirty one rejected with the failing totals."""

from __future__ import annotations

import pytest

from lakehouse.bronze.formats.base import BANK_COLUMNS
from tests.bronze.formats.bai2_builders import (
    DIRTY_SAMPLE,
    SAMPLES,
    balances,
    needs_samples,
    parse,
    rejected,
    txn_values,
)

# name -> (16 records, accounts, currencies, file control total, credits, debits)
EXPECTED = {
    "moj_account_trailer_amount_blank_example.bai2": (
        0, ["12345", "54321"], ["USD"], "0.00", "0.00", "0.00"),
    "moj_citi_example.bai2": (1, ["77777777"], ["GBP"], "200.01", "0.01", "0.00"),
    "moj_svb_us_example.bai2": (2, ["1234567890"], ["USD"], "2820301.96", "13959.96", "0.00"),
    "moov_sample1.txt": (17, ["10200123456"], ["CAD"], "12800.00", "3200.00", "3200.00"),
    "moov_sample2.txt": (
        4,
        ["0123456789", "9876543210", "4589761203", "0975312468", "7890654321"],
        ["USD"],
        "3454500.00",
        "309500.00",
        "0.00",
    ),
    "venturehacks_daily_with_summary.bai2": (
        1, ["1234567890"], ["USD"], "500.02", "250.01", "0.00"),
    "venturehacks_eod.bai2": (1, ["3333333333"], ["USD"], "83259.82", "83259.82", "0.00"),
    "venturehacks_eod_with_slash_in_text.bai2": (
        1, ["3333333333"], ["USD"], "83259.82", "83259.82", "0.00"),
    "venturehacks_svb_Daily_BAI2_Account_sample.txt": (
        1, ["1234567890"], ["USD"], "250.01", "250.01", "0.00"),
}  # fmt: skip


@needs_samples
def test_every_sample_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted([*EXPECTED, DIRTY_SAMPLE])


@needs_samples
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_sample_is_accepted(name: str) -> None:
    entries, accounts, currencies, file_total, credits, debits = EXPECTED[name]
    parsed = parse((SAMPLES / name).read_bytes(), name)
    assert parsed.format == "bai2"
    assert parsed.columns == BANK_COLUMNS
    assert parsed.entries == entries
    assert len(txn_values(parsed)) == entries
    assert parsed.quarantine == []
    assert parsed.accounts == accounts
    assert parsed.currencies == currencies
    assert parsed.totals == {
        "file_control_total": file_total,
        "credits": credits,
        "debits": debits,
    }
    assert all(set(r.values) == set(BANK_COLUMNS) for r in parsed.rows)


@needs_samples
def test_dirty_sample_is_rejected_with_the_failing_totals() -> None:
    reason = rejected((SAMPLES / DIRTY_SAMPLE).read_bytes())
    assert reason.startswith("control totals do not tie: ")
    assert "account 107049932 trailer 49 total -12601613417.62 != computed 79999.60" in reason
    assert "account 104108339 trailer 49 total 68697.22 != computed 6669178.18" in reason
    assert "group 1 trailer 98 total 130601951.62 != computed 137282432.18" in reason


@needs_samples
def test_citi_sample_details() -> None:
    parsed = parse((SAMPLES / "moj_citi_example.bai2").read_bytes(), "citi")
    assert balances(parsed) == {"OPBD": "100.00", "CLBD": "100.00"}
    (txn,) = txn_values(parsed)
    assert txn["type_code"] == "191"
    assert txn["credit_debit"] == "CRDT"
    assert txn["amount"] == "0.01"
    assert txn["currency"] == "GBP"
    assert txn["value_date"] == "2015-07-15"
    assert txn["booking_date"] == "2015-07-15"
    assert txn["bank_reference"] == "1234567890"
    assert txn["customer_reference"] == "RP12312312312312"
    assert txn["statement_id"] == "1:77777777:2015-07-15"
    assert txn["description"] is not None
    assert txn["description"].startswith("FR:FP SIP INCOMING ENDT:20150715 TRID:")
    assert txn["description"].endswith("BO:11111111 BO1:DOE JO")
    assert txn["raw"] is not None and txn["raw"].count("\n") == 7


@needs_samples
def test_sample2_spec_example_funds_types_and_continuations() -> None:
    parsed = parse((SAMPLES / "moov_sample2.txt").read_bytes(), "sample2")
    txns = txn_values(parsed)
    assert [t["type_code"] for t in txns] == ["115", "115", "218", "195"]
    assert [t["amount"] for t in txns] == ["4500.00", "5000.00", "200000.00", "100000.00"]
    assert txns[1]["description"] == "LOCK BOX NO.68751"
    assert txns[2]["value_date"] == "2004-06-22"
    assert txns[2]["customer_reference"] == "YRC065321"
    assert txns[2]["description"] == "PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO"
    # 03 + 88 broken inside the 190 type/amount group: -5000.00 opening, 040 of -15000.00
    account2 = [
        r.values for r in parsed.rows if r.values["statement_id"] == "1:9876543210:2004-06-20"
    ]
    opening = next(v for v in account2 if v["balance_type"] == "OPBD")
    assert (opening["amount"], opening["credit_debit"]) == ("5000.00", "DBIT")
    code_190 = next(v for v in account2 if v["balance_type"] == "BAI:190")
    assert code_190["amount"] == "5000.00"
    opav = next(v for v in account2 if v["balance_type"] == "OPAV")
    assert (opav["amount"], opav["credit_debit"]) == ("15000.00", "DBIT")
    assert any("status '3'" in w for w in parsed.warnings)


@needs_samples
def test_slash_in_text_sample_keeps_the_slashes() -> None:
    parsed = parse((SAMPLES / "venturehacks_eod_with_slash_in_text.bai2").read_bytes(), "s")
    (txn,) = txn_values(parsed)
    assert txn["description"] is not None
    assert (
        "ORG ADDRESS:=2/AV MAIN 2/AVENUE DE ANGELLIST 3/MX /MEXICO ; BNF ID:"
        in (txn["description"])
    )


@needs_samples
def test_sample1_rows_and_row_numbers() -> None:
    parsed = parse((SAMPLES / "moov_sample1.txt").read_bytes(), "sample1")
    txns = [r for r in parsed.rows if r.values["record_type"] == "TXN"]
    # four summaries, eleven details, four summaries, six details
    assert [r.row_number for r in txns] == [*range(5, 16), *range(20, 26)]
    assert sum(1 for r in txns if r.values["credit_debit"] == "CRDT") == 5
    assert txns[0].values["description"] == "RETURNED CHEQUE"
    assert txns[0].values["value_date"] == "2006-03-16"
    assert {r.values["statement_id"] for r in txns} == {
        "1:10200123456:2006-03-17",
    }
