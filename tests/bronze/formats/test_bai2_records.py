"""BAI2 records: several records on a physical line, 88 continuations (of text, fixed
fields and summaries), line endings, terminators and slashes in text."""

from __future__ import annotations

import pytest

from lakehouse.bronze.formats.base import BANK_COLUMNS
from tests.bronze.formats.bai2_builders import (
    bai2_bytes,
    balances,
    one_account,
    parse,
    rejected,
    txn_values,
)


def test_minimal_file() -> None:
    data = one_account("16,195,500,0,BANKREF,CUSTREF,HELLO WORLD/", account_total=3500, records=3)
    parsed = parse(data, "x")
    assert parsed.entries == 1
    assert parsed.warnings == []
    (txn,) = txn_values(parsed)
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
    assert balances(parsed) == {"OPBD": "10.00", "CLBD": "20.00"}


def test_several_records_on_one_physical_line() -> None:
    one_line = (
        "01,S,R,230101,1200,1,80,1,2/02,R,S,1,230102,,,2/03,1234,,010,1000,,,015,2000,,/"
        "16,195,500,0,REF,,TEXT/88,MORE/49,3500,4/98,3500,1,6/99,3500,1,8/"
    )
    parsed = parse(one_line.encode(), "x")
    assert parsed.warnings == []
    (txn,) = txn_values(parsed)
    assert txn["description"] == "TEXT MORE"
    assert txn["raw"] == "16,195,500,0,REF,,TEXT/\n88,MORE/"
    assert [r.row_number for r in parsed.rows] == [1, 2, 3]  # all on line 1


def test_16_text_wrapped_onto_the_next_line_without_88() -> None:
    data = one_account(
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
    first, second = txn_values(parsed)
    assert first["description"] == "ACH SETTLEMENT      BATCH 7 0042 TRAILING PART"
    assert (
        first["raw"] == "16,142,2500,Z,,,ACH SETTLEMENT      BATCH 7\n0042 TRAILING PART        /"
    )
    assert second["description"] == "CARD FEES SEPTEMBER AND OCTOBER"


def test_line_without_a_code_after_a_terminated_record_is_malformed() -> None:
    data = one_account("16,142,2500,Z,,,DONE/", "NOT A RECORD/", account_total=5500, records=3)
    assert rejected(data) == "malformed: line 5: expected a BAI2 record code, found 'NOT A RECORD/'"


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
    parsed = parse(bai2_bytes(*records, sep=sep) + sep.encode(), "x")
    (txn,) = txn_values(parsed)
    assert txn["description"] == "TEXT MORE"
    assert txn["credit_debit"] == "DBIT"
    assert parsed.rows[-1].row_number == 3  # after the two summaries


def test_16_without_terminator_keeps_commas_in_the_text() -> None:
    data = one_account(
        '16,557,200000,,SB23,021000,ACH Return,Return To: Test, Reason: "R02", GS ID: 1',
        "88,CREF: 0260",
        account_total=203000,
        records=4,
    )
    (txn,) = txn_values(parse(data, "x"))
    assert txn["bank_reference"] == "SB23"
    assert txn["customer_reference"] == "021000"
    assert txn["description"] == 'ACH Return,Return To: Test, Reason: "R02", GS ID: 1 CREF: 0260'
    assert txn["return_reason"] == "R02"
    assert txn["reversal"] == "true"
    assert txn["credit_debit"] == "DBIT"


def test_slash_inside_text_and_88_starting_with_slash() -> None:
    data = one_account(
        "16,195,500,,,,ADDRESS 2/AV MAIN 3/MX",
        "88,/MEXICO ;",
        "88,DATE 22/03/66",
        account_total=3500,
        records=5,
    )
    (txn,) = txn_values(parse(data, "x"))
    assert txn["description"] == "ADDRESS 2/AV MAIN 3/MX /MEXICO ; DATE 22/03/66"
    assert txn["bank_reference"] is None
    assert txn["customer_reference"] is None


def test_88_continues_fixed_fields_of_a_16() -> None:
    data = one_account(
        "16,218,500,V,230103,,SP4738,YRC065321/",
        "88,PROCEEDS OF LETTER OF CREDIT",
        account_total=3500,
        records=4,
    )
    (txn,) = txn_values(parse(data, "x"))
    assert txn["value_date"] == "2023-01-03"
    assert txn["customer_reference"] == "YRC065321"
    assert txn["description"] == "PROCEEDS OF LETTER OF CREDIT"


def test_trailing_comma_before_terminator_is_not_text() -> None:
    data = one_account(
        "16,174,500,Z,,50848,/",
        "88,SAMPLE CONTINUATION TEXT,/",
        account_total=3500,
        records=4,
    )
    (txn,) = txn_values(parse(data, "x"))
    assert txn["customer_reference"] == "50848"
    assert txn["description"] == "SAMPLE CONTINUATION TEXT"


def test_88_continuation_in_the_middle_of_a_summary_group() -> None:
    data = bai2_bytes(
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
    assert balances(parsed) == {
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
    data = bai2_bytes(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,USD,2/",
        "03,1234,USD,010,34726979,,,015,35217175,,,/",
        "88,040,32742537,,,045,35217175,,,/",
        "49,137903866,3/",
        "98,137903866,1,5/",
        "99,137903866,1,7/",
    )
    assert balances(parse(data, "x")) == {
        "OPBD": "347269.79",
        "CLBD": "352171.75",
        "OPAV": "327425.37",
        "CLAV": "352171.75",
    }
