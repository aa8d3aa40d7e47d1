"""Tests of the BAI2 parser: real samples, one hand-written file per quirk, properties."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats.bai2 import parse as parse_unchecked
from lakehouse.bronze.formats.base import BANK_COLUMNS, ParsedFile
from lakehouse.errors import FileRejected
from tests.bronze.formats.invariants import assert_invariants, checked

parse = checked(parse_unchecked)

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples" / "bai2"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"real BAI2 samples not found at {SAMPLES} (the shared samples folder is missing)",
)
DIRTY_SAMPLE = "moov_sample4-continuations-newline-delimited.txt"


def _text(*records: str, sep: str = "\n") -> bytes:
    return sep.join(records).encode()


def _rejected(data: bytes) -> str:
    with pytest.raises(FileRejected) as info:
        parse(data, "test.bai2")
    assert info.value.path == "test.bai2"
    return info.value.reason


def _txns(parsed: ParsedFile) -> list[dict[str, str | None]]:
    return [r.values for r in parsed.rows if r.values["record_type"] == "TXN"]


def _balances(parsed: ParsedFile) -> dict[str | None, str | None]:
    return {
        r.values["balance_type"]: r.values["amount"]
        for r in parsed.rows
        if r.values["record_type"] == "BALANCE"
    }


# A file with one account; the 16 record(s) are inserted by the tests.
def _one_account(*details: str, account_total: int, records: int, currency: str = "") -> bytes:
    return _text(
        "01,SENDER,RECEIVER,230101,1200,1,80,1,2/",
        f"02,RECEIVER,SENDER,1,230102,,{currency},2/",
        "03,1234,,010,1000,,,015,2000,,/",
        *details,
        f"49,{account_total},{records}/",
        f"98,{account_total},1,{records + 2}/",
        f"99,{account_total},1,{records + 4}/",
    )


# --------------------------------------------------------------------------- real samples

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
    assert len(_txns(parsed)) == entries
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
    reason = _rejected((SAMPLES / DIRTY_SAMPLE).read_bytes())
    assert reason.startswith("control totals do not tie: ")
    assert "account 107049932 trailer 49 total -12601613417.62 != computed 79999.60" in reason
    assert "account 104108339 trailer 49 total 68697.22 != computed 6669178.18" in reason
    assert "group 1 trailer 98 total 130601951.62 != computed 137282432.18" in reason


@needs_samples
def test_citi_sample_details() -> None:
    parsed = parse((SAMPLES / "moj_citi_example.bai2").read_bytes(), "citi")
    assert _balances(parsed) == {"OPBD": "100.00", "CLBD": "100.00"}
    (txn,) = _txns(parsed)
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
    txns = _txns(parsed)
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
    (txn,) = _txns(parsed)
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


# --------------------------------------------------------------------------- quirks


def test_minimal_file() -> None:
    data = _one_account("16,195,500,0,BANKREF,CUSTREF,HELLO WORLD/", account_total=3500, records=3)
    parsed = parse(data, "x")
    assert parsed.entries == 1
    assert parsed.warnings == []
    (txn,) = _txns(parsed)
    assert txn == {
        **dict.fromkeys(BANK_COLUMNS),
        "record_type": "TXN",
        "statement_id": "1:1234:2023-01-02",
        "account_id": "1234",
        "currency": "USD",
        "booking_date": "2023-01-02",
        "amount": "5.00",
        "credit_debit": "CRDT",
        "reversal": "false",
        "type_code": "195",
        "bank_reference": "BANKREF",
        "customer_reference": "CUSTREF",
        "description": "HELLO WORLD",
        "raw": "16,195,500,0,BANKREF,CUSTREF,HELLO WORLD/",
    }
    # two summaries share line 3: rows are numbered, not lines, so the numbers stay unique
    assert [r.row_number for r in parsed.rows] == [1, 2, 3]
    assert _balances(parsed) == {"OPBD": "10.00", "CLBD": "20.00"}


def test_several_records_on_one_physical_line() -> None:
    one_line = (
        "01,S,R,230101,1200,1,80,1,2/02,R,S,1,230102,,,2/03,1234,,010,1000,,,015,2000,,/"
        "16,195,500,0,REF,,TEXT/88,MORE/49,3500,4/98,3500,1,6/99,3500,1,8/"
    )
    parsed = parse(one_line.encode(), "x")
    assert parsed.warnings == []
    (txn,) = _txns(parsed)
    assert txn["description"] == "TEXT MORE"
    assert txn["raw"] == "16,195,500,0,REF,,TEXT/\n88,MORE/"
    assert [r.row_number for r in parsed.rows] == [1, 2, 3]  # all on line 1


def test_16_text_wrapped_onto_the_next_line_without_88() -> None:
    data = _one_account(
        "16,142,2500,Z,,,ACH SETTLEMENT      BATCH 7",
        "0042 TRAILING PART        /",
        "16,451,600,Z,,,CARD FEES",
        "88,SEPTEMBER",
        "AND OCTOBER/",
        account_total=6100,
        records=5,  # 03, two 16s, one 88 and the 49: the wrapped lines are not records
    )
    parsed = parse(data, "wrapped.bai")
    assert parsed.warnings == []
    first, second = _txns(parsed)
    assert first["description"] == "ACH SETTLEMENT      BATCH 7 0042 TRAILING PART"
    assert (
        first["raw"] == "16,142,2500,Z,,,ACH SETTLEMENT      BATCH 7\n0042 TRAILING PART        /"
    )
    assert second["description"] == "CARD FEES SEPTEMBER AND OCTOBER"


def test_line_without_a_code_after_a_terminated_record_is_malformed() -> None:
    data = _one_account("16,142,2500,Z,,,DONE/", "NOT A RECORD/", account_total=5500, records=3)
    assert (
        _rejected(data) == "malformed: line 5: expected a BAI2 record code, found 'NOT A RECORD/'"
    )


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r"])
def test_line_endings(sep: str) -> None:
    records = [
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,,2/",
        "03,1234,,010,1000,,,015,2000,,/",
        "16,475,500,0,REF,,TEXT",
        "88,MORE",
        "49,3500,4/",
        "98,3500,1,6/",
        "99,3500,1,8/",
    ]
    parsed = parse(_text(*records, sep=sep) + sep.encode(), "x")
    (txn,) = _txns(parsed)
    assert txn["description"] == "TEXT MORE"
    assert txn["credit_debit"] == "DBIT"
    assert parsed.rows[-1].row_number == 3  # after the two summaries


def test_16_without_terminator_keeps_commas_in_the_text() -> None:
    data = _one_account(
        '16,557,200000,,SB23,021000,ACH Return,Return To: Test, Reason: "R02", GS ID: 1',
        "88,CREF: 0260",
        account_total=203000,
        records=4,
    )
    (txn,) = _txns(parse(data, "x"))
    assert txn["bank_reference"] == "SB23"
    assert txn["customer_reference"] == "021000"
    assert txn["description"] == 'ACH Return,Return To: Test, Reason: "R02", GS ID: 1 CREF: 0260'
    assert txn["return_reason"] == "R02"
    assert txn["reversal"] == "true"
    assert txn["credit_debit"] == "DBIT"


def test_slash_inside_text_and_88_starting_with_slash() -> None:
    data = _one_account(
        "16,195,500,,,,ADDRESS 2/AV MAIN 3/MX",
        "88,/MEXICO ;",
        "88,DATE 22/03/66",
        account_total=3500,
        records=5,
    )
    (txn,) = _txns(parse(data, "x"))
    assert txn["description"] == "ADDRESS 2/AV MAIN 3/MX /MEXICO ; DATE 22/03/66"
    assert txn["bank_reference"] is None
    assert txn["customer_reference"] is None


def test_88_continues_fixed_fields_of_a_16() -> None:
    data = _one_account(
        "16,218,500,V,230103,,SP4738,YRC065321/",
        "88,PROCEEDS OF LETTER OF CREDIT",
        account_total=3500,
        records=4,
    )
    (txn,) = _txns(parse(data, "x"))
    assert txn["value_date"] == "2023-01-03"
    assert txn["customer_reference"] == "YRC065321"
    assert txn["description"] == "PROCEEDS OF LETTER OF CREDIT"


def test_trailing_comma_before_terminator_is_not_text() -> None:
    data = _one_account(
        "16,174,500,Z,,50848,/",
        "88,SAMPLE CONTINUATION TEXT,/",
        account_total=3500,
        records=4,
    )
    (txn,) = _txns(parse(data, "x"))
    assert txn["customer_reference"] == "50848"
    assert txn["description"] == "SAMPLE CONTINUATION TEXT"


def test_88_continuation_in_the_middle_of_a_summary_group() -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,,2/",
        "03,1234,USD,010,-500000,,,100,1000000,,,400,2000000,,,190/",
        "88,500000,,,110,1000000,,,",
        "88,072,500000,,/",
        "49,4500000,4/",
        "98,4500000,1,6/",
        "99,4500000,1,8/",
    )
    parsed = parse(data, "x")
    assert parsed.warnings == []
    assert _balances(parsed) == {
        "OPBD": "5000.00",
        "BAI:100": "10000.00",
        "BAI:400": "20000.00",
        "BAI:190": "5000.00",
        "BAI:110": "10000.00",
        "BAI:072": "5000.00",
    }
    directions = {r.values["type_code"]: r.values["credit_debit"] for r in parsed.rows}
    assert directions == {
        "010": "DBIT",
        "100": "CRDT",
        "400": "DBIT",
        "190": "CRDT",
        "110": "CRDT",
        "072": "CRDT",
    }


def test_trailing_commas_between_continued_summaries() -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,USD,2/",
        "03,1234,USD,010,34726979,,,015,35217175,,,/",
        "88,040,32742537,,,045,35217175,,,/",
        "49,137903866,3/",
        "98,137903866,1,5/",
        "99,137903866,1,7/",
    )
    assert _balances(parse(data, "x")) == {
        "OPBD": "347269.79",
        "CLBD": "352171.75",
        "OPAV": "327425.37",
        "CLAV": "352171.75",
    }


def test_blank_control_totals_warn_but_do_not_reject() -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,,2/",
        "03,1234,/",
        "49,,2/",
        "98,,1,4/",
        "99,,1,6/",
    )
    parsed = parse(data, "x")
    assert parsed.warnings == [
        "account 1234 trailer 49 control total is blank; not checked",
        "group 1 trailer 98 control total is blank; not checked",
        "file trailer 99 control total is blank; not checked",
    ]
    assert parsed.totals["file_control_total"] == "0.00"


def test_plus_signs_and_zero_padded_amounts() -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,CAD,/",
        "03,1234,CAD,040,+000000000000,,,045,+000000000500,,/",
        "16,409,000000000000500,V,230102,,,,RETURNED CHEQUE     /",
        "49,+00000000000001000,3/",
        "98,+00000000000001000,1,5/",
        "99,+00000000000001000,1,7/",
    )
    parsed = parse(data, "x")
    (txn,) = _txns(parsed)
    assert (txn["amount"], txn["currency"], txn["description"]) == (
        "5.00",
        "CAD",
        "RETURNED CHEQUE",
    )
    assert _balances(parsed) == {"OPAV": "0.00", "CLAV": "5.00"}
    assert parsed.totals == {"file_control_total": "10.00", "credits": "0.00", "debits": "5.00"}


@pytest.mark.parametrize(
    ("funds", "value_date"),
    [
        ("0", None),
        ("1", None),
        ("2", None),
        ("Z", None),
        ("", None),
        ("S,100,,300", None),
        ("V,230105,1230", "2023-01-05"),
        ("V,230105,", "2023-01-05"),
        ("D,3,0,100,1,200,3,200", None),
        ("D,0", None),
    ],
)
def test_funds_types(funds: str, value_date: str | None) -> None:
    data = _one_account(f"16,115,500,{funds},BREF,CREF,TEXT/", account_total=3500, records=3)
    (txn,) = _txns(parse(data, "x"))
    assert txn["value_date"] == value_date
    assert (txn["bank_reference"], txn["customer_reference"], txn["description"]) == (
        "BREF",
        "CREF",
        "TEXT",
    )


def test_funds_types_in_summaries_are_not_added_to_the_control_total() -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,,2/",
        "03,1234,,100,500,2,S,100,200,200,400,300,1,V,230101,,190,700,4,D,2,0,300,1,400/",
        "49,1500,2/",
        "98,1500,1,4/",
        "99,1500,1,6/",
    )
    parsed = parse(data, "x")
    assert _balances(parsed) == {"BAI:100": "5.00", "BAI:400": "3.00", "BAI:190": "7.00"}
    values = {r.values["type_code"]: r.values["value_date"] for r in parsed.rows}
    assert values == {"100": None, "400": "2023-01-01", "190": None}


@pytest.mark.parametrize(
    ("group_currency", "account_currency", "currency", "amount"),
    [
        ("", "", "USD", "12.34"),
        ("EUR", "", "EUR", "12.34"),
        ("EUR", "GBP", "GBP", "12.34"),
        ("", "JPY", "JPY", "1234"),
        ("JPY", "", "JPY", "1234"),
        ("", "KWD", "KWD", "1.234"),
        ("", "CLF", "CLF", "0.1234"),
        ("UYW", "", "UYW", "0.1234"),
        ("", "usd", "USD", "12.34"),
    ],
)
def test_currency_defaults_and_implied_decimals(
    group_currency: str, account_currency: str, currency: str, amount: str
) -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        f"02,R,S,1,230102,,{group_currency},2/",
        f"03,1234,{account_currency}/",
        "16,115,1234,,,,/",
        "49,1234,3/",
        "98,1234,1,5/",
        "99,1234,1,7/",
    )
    parsed = parse(data, "x")
    (txn,) = _txns(parsed)
    assert (txn["currency"], txn["amount"]) == (currency, amount)
    assert parsed.currencies == [currency]
    assert parsed.totals["credits"] == amount


def test_type_code_ranges_and_totals() -> None:
    details = ["16,100,1,,,,/", "16,399,2,,,,/", "16,400,4,,,,/", "16,699,8,,,,/"]
    data = _one_account(*details, account_total=3015, records=6)
    parsed = parse(data, "x")
    assert [t["credit_debit"] for t in _txns(parsed)] == ["CRDT", "CRDT", "DBIT", "DBIT"]
    assert parsed.totals == {"file_control_total": "30.15", "credits": "0.03", "debits": "0.12"}


def test_unbookable_details_are_quarantined_but_counted() -> None:
    data = _one_account(
        "16,890,,,,,INFORMATION ONLY/",
        "16,195,-500,,,,NEGATIVE/",
        "16,195,,,,,NO AMOUNT/",
        "16,195,700,,,,OK/",
        account_total=3200,
        records=6,
    )
    parsed = parse(data, "x")
    assert parsed.entries == 4
    assert len(_txns(parsed)) == 1
    assert [q.row_number for q in parsed.quarantine] == [3, 4, 5]
    assert [q.reason[:7] for q in parsed.quarantine] == ["line 4:", "line 5:", "line 6:"]
    assert "890 is not a credit (100-399) or debit (400-699)" in parsed.quarantine[0].reason
    assert "negative" in parsed.quarantine[1].reason
    assert "no amount" in parsed.quarantine[2].reason
    assert parsed.quarantine[0].raw == "16,890,,,,,INFORMATION ONLY/"
    assert parsed.rows_read == len(parsed.rows) + 3


def test_return_reason_only_from_a_reason_field() -> None:
    data = _one_account(
        '16,266,500,,GI21,2021,Outgoing Wire Return,Return Reason: "Payee does not exist"',
        account_total=3500,
        records=3,
    )
    (txn,) = _txns(parse(data, "x"))
    assert txn["return_reason"] is None
    assert txn["reversal"] == "false"


def test_group_and_account_indexes_in_statement_id() -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230101,,,2/",
        "03,A1,,010,100,,/",
        "49,100,2/",
        "03,A2,EUR,010,100,,/",
        "49,100,2/",
        "98,200,2,6/",
        "02,R,S,1,230102,,,2/",
        "03,A1,,010,100,,/",
        "16,195,1,,,,/",
        "49,101,3/",
        "98,101,1,5/",
        "99,301,2,13/",
    )
    parsed = parse(data, "x")
    assert parsed.accounts == ["A1", "A2"]
    assert parsed.currencies == ["USD", "EUR"]
    assert [r.values["statement_id"] for r in parsed.rows] == [
        "1:A1:2023-01-01",
        "1:A2:2023-01-01",
        "2:A1:2023-01-02",
        "2:A1:2023-01-02",
    ]
    assert parsed.warnings == []


# --------------------------------------------------------------------------- controls


def test_account_total_off_rejects_with_precise_reason() -> None:
    data = _one_account("16,195,500,,,,/", account_total=3600, records=3)
    reason = _rejected(data)
    assert reason == (
        "control totals do not tie: account 1234 trailer 49 total 36.00 != computed 35.00; "
        "group 1 trailer 98 total 36.00 != computed 35.00; "
        "file trailer 99 total 36.00 != computed 35.00"
    )


def test_group_and_file_totals_checked_independently() -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,JPY,2/",
        "03,1234,/",
        "16,195,500,,,,/",
        "49,500,3/",
        "98,501,1,5/",
        "99,500,1,7/",
    )
    assert _rejected(data) == (
        "control totals do not tie: group 1 trailer 98 total 501 != computed 500"
    )


def test_record_counts_off_only_warn() -> None:
    data = _text(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,,2/",
        "03,1234,/",
        "16,195,500,,,,/",
        "49,500,9/",
        "98,500,2,9/",
        "99,500,3,,/",
    )
    parsed = parse(data, "x")
    assert parsed.warnings == [
        "account 1234 trailer 49 number of records 9 != counted 3",
        "group 1 trailer 98 number of accounts 2 != counted 1",
        "group 1 trailer 98 number of records 9 != counted 5",
        "file trailer 99 number of groups 3 != counted 1",
        "file trailer 99 number of records is blank; not checked",
    ]
    assert parsed.entries == 1


# --------------------------------------------------------------------------- garbage


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "malformed: no 01 file header: found an empty file"),
        (b"\n\n  \n", "malformed: no 01 file header: found an empty file"),
        (b"02,R,S,1,230102,,,2/", "malformed: no 01 file header: found 02 at line 1"),
        (b"hello world", "malformed: line 1: expected a BAI2 record code, found 'hello world'"),
        (b"88,TEXT/", "malformed: line 1: 88 continuation without a record before it"),
        (b"01,S,R,230101,1200,1,80,1,2/", "no 99 file trailer"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/", "no 98 group trailer"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/", "no 49 account trailer"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n98,0,1,3/",
         "line 4: account 1 (line 3) has no 49 account trailer: found 98"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,231302,,,2/", "as-of date '231302'"),
        (b"01,S,R,230101,1200,1,80,1,2/\n99,0,0,2/\n99,0,0,2/", "after the 99 file trailer"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1,,010,12X/",
         "03 summary 010 amount '12X' is not a number"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n16,195,1,Q,,,/",
         "unknown funds type 'Q'"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n16,,195,1,,,/",
         "16 type code '' is not a 3-digit type code"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n16,195,1,D,5,1,1/",
         "funds type D declares 5 distributions"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n49,1e5,2/",
         "49 control total '1e5' is not a number"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,US$,2/", "'US$' is not an ISO 4217"),
        (b"01,S,R,230101,1200,1,80,1,2/\n99," + b"9" * 40 + b",0,2/", "more than 18 digits"),
        (b"01,S,R,230101,1200,1,80,1,2/\n99,0,x,2/", "number of groups 'x' is not a number"),
    ],
)  # fmt: skip
def test_garbage_is_rejected_with_a_reason(data: bytes, expected: str) -> None:
    assert expected in _rejected(data)


def test_non_utf8_bytes_are_read_as_latin1() -> None:
    data = _one_account("16,195,500,,,,CAFÉ/", account_total=3500, records=3)
    (txn,) = _txns(parse(data.replace("É".encode(), b"\xc9"), "x"))
    assert txn["description"] == "CAFÉ"


# --------------------------------------------------------------------------- properties


def _sample_bytes() -> list[bytes]:
    if not SAMPLES.is_dir():
        return []
    return [p.read_bytes() for p in sorted(SAMPLES.iterdir())]


SAMPLE_BYTES = _sample_bytes()


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_random_bytes_parse_or_reject(data: bytes) -> None:
    assert_invariants(parse, data)


BAI2_ALPHABET = "0123456789,/+-\n\r 01SVDZ"


@given(st.text(alphabet=BAI2_ALPHABET, max_size=400))
@settings(max_examples=300, deadline=None)
def test_random_bai2_like_text_parse_or_reject(text: str) -> None:
    for prefix in ("", "01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1,"):
        assert_invariants(parse, (prefix + text).encode())


@needs_samples
@given(st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_truncated_samples_parse_or_reject(data: st.DataObject) -> None:
    sample = data.draw(st.sampled_from(SAMPLE_BYTES))
    cut = data.draw(st.integers(min_value=0, max_value=len(sample)))
    assert_invariants(parse, sample[:cut])


@needs_samples
@given(st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_samples_parse_or_reject(data: st.DataObject) -> None:
    sample = bytearray(data.draw(st.sampled_from(SAMPLE_BYTES)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        pos = data.draw(st.integers(min_value=0, max_value=len(sample) - 1))
        sample[pos] = ord(data.draw(st.sampled_from(BAI2_ALPHABET + "X\x00")))
    assert_invariants(parse, bytes(sample))


# Generated well-formed files: the parser must accept them and report what was written.


@dataclass(frozen=True)
class _Detail:
    type_code: int
    amount: int
    funds: str
    text: str
    continuation: str


@dataclass(frozen=True)
class _GenAccount:
    number: str
    currency: str
    summaries: tuple[tuple[str, int, str], ...]
    details: tuple[_Detail, ...]
    splits: tuple[int, ...]


FUNDS = st.sampled_from(["", "0", "1", "2", "Z", "S,1,2,3", "S,,,", "V,230105,", "D,1,0,5"])
TEXT = st.text(alphabet="ABCxyz ,.:-/;'\"", max_size=30)

details_st = st.builds(
    _Detail,
    type_code=st.integers(min_value=100, max_value=699),
    amount=st.integers(min_value=0, max_value=10**12),
    funds=FUNDS,
    text=TEXT,
    continuation=TEXT,
)
accounts_st = st.builds(
    _GenAccount,
    number=st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    currency=st.sampled_from(["", "USD", "EUR", "CAD"]),
    summaries=st.lists(
        st.tuples(
            st.sampled_from(["010", "015", "040", "045", "072", "100", "400", "190"]),
            st.integers(min_value=-(10**12), max_value=10**12),
            FUNDS,
        ),
        max_size=5,
    ).map(tuple),
    details=st.lists(details_st, max_size=5).map(tuple),
    splits=st.lists(st.integers(min_value=1, max_value=40), max_size=3).map(tuple),
)


def _amount_text(amount: int, padded: bool) -> str:
    sign = "+" if amount >= 0 and padded else ""
    return f"{sign}{amount:015d}" if padded else str(amount)


def _account_records(account: _GenAccount, padded: bool) -> tuple[list[str], int]:
    fields = [account.number, account.currency]
    for code, amount, funds in account.summaries:
        fields += [code, _amount_text(amount, padded), "", funds]
    fields = ",".join(fields).split(",")
    cuts = sorted({c for c in account.splits if c < len(fields)})
    pieces = [fields[a:b] for a, b in zip([0, *cuts], [*cuts, len(fields)], strict=True)]
    records = ["03," + ",".join(pieces[0]) + "/", *("88," + ",".join(p) + "/" for p in pieces[1:])]
    total = sum(amount for _, amount, _ in account.summaries)
    for d in account.details:
        records.append(f"16,{d.type_code},{_amount_text(d.amount, padded)},{d.funds},R,C,{d.text}")
        if d.continuation.strip():
            records.append(f"88,{d.continuation}")
        total += d.amount
    records.append(f"49,{total},{len(records) + 1}/")
    return records, total


@given(
    groups=st.lists(st.lists(accounts_st, min_size=1, max_size=3), min_size=1, max_size=3),
    padded=st.booleans(),
    crlf=st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_generated_files_are_accepted(
    groups: list[list[_GenAccount]], padded: bool, crlf: bool
) -> None:
    records = ["01,S,R,230101,1200,1,80,1,2/"]
    file_total = 0
    for index, accounts in enumerate(groups):
        group_records = [f"02,R,S,1,2301{index + 1:02d},,,2/"]
        group_total = 0
        for account in accounts:
            account_records, total = _account_records(account, padded)
            group_records += account_records
            group_total += total
        group_records.append(f"98,{group_total},{len(accounts)},{len(group_records) + 1}/")
        records += group_records
        file_total += group_total
    records.append(f"99,{file_total},{len(groups)},{len(records) + 1}/")
    data = _text(*records, sep="\r\n" if crlf else "\n")
    parsed = parse(data, "generated")
    assert parsed.warnings == []
    details = [d for accounts in groups for a in accounts for d in a.details]
    assert parsed.entries == len(details)
    txns = _txns(parsed)
    assert [t["type_code"] for t in txns] == [str(d.type_code) for d in details]
    assert [Decimal(t["amount"] or "") for t in txns] == [Decimal(d.amount) / 100 for d in details]
    assert [t["credit_debit"] for t in txns] == [
        "CRDT" if d.type_code < 400 else "DBIT" for d in details
    ]
    assert Decimal(parsed.totals["file_control_total"]) == Decimal(file_total) / 100
    summaries = [s for accounts in groups for a in accounts for s in a.summaries]
    assert len(parsed.rows) == len(details) + len(summaries)

    # Any change to one account total must reject the file.
    broken = re.sub(rb"\n49,(-?\d+),", lambda m: b"\n49,%d," % (int(m[1]) + 1), data, count=1)
    assert "trailer 49 total" in _rejected(broken)
