"""BAI2 values: signs and padding, funds types, currencies and implied decimals, type
code ranges, unbookable details, return reasons and statement ids."""

from __future__ import annotations

import pytest

from tests.bronze.formats.bai2_builders import bai2_bytes, balances, one_account, parse, txn_values


def test_plus_signs_and_zero_padded_amounts() -> None:
    data = bai2_bytes(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,CAD,/",
        "03,1234,CAD,040,+000000000000,,,045,+000000000500,,/",
        "16,409,000000000000500,V,230102,,,,RETURNED CHEQUE     /",
        "49,+00000000000001000,3/",
        "98,+00000000000001000,1,5/",
        "99,+00000000000001000,1,7/",
    )
    parsed = parse(data, "x")
    (txn,) = txn_values(parsed)
    assert (txn["amount"], txn["currency"], txn["description"]) == (
        "5.00",
        "CAD",
        "RETURNED CHEQUE",
    )
    assert balances(parsed) == {"OPAV": "0.00", "CLAV": "5.00"}
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
    data = one_account(f"16,115,500,{funds},BREF,CREF,TEXT/", account_total=3500, records=3)
    (txn,) = txn_values(parse(data, "x"))
    assert txn["value_date"] == value_date
    assert (txn["bank_reference"], txn["customer_reference"], txn["description"]) == (
        "BREF",
        "CREF",
        "TEXT",
    )


def test_funds_types_in_summaries_are_not_added_to_the_control_total() -> None:
    data = bai2_bytes(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,,2/",
        "03,1234,,100,500,2,S,100,200,200,400,300,1,V,230101,,190,700,4,D,2,0,300,1,400/",
        "49,1500,2/",
        "98,1500,1,4/",
        "99,1500,1,6/",
    )
    parsed = parse(data, "x")
    assert balances(parsed) == {"BAI:100": "5.00", "BAI:400": "3.00", "BAI:190": "7.00"}
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
    data = bai2_bytes(
        "01,S,R,230101,1200,1,80,1,2/",
        f"02,R,S,1,230102,,{group_currency},2/",
        f"03,1234,{account_currency}/",
        "16,115,1234,,,,/",
        "49,1234,3/",
        "98,1234,1,5/",
        "99,1234,1,7/",
    )
    parsed = parse(data, "x")
    (txn,) = txn_values(parsed)
    assert (txn["currency"], txn["amount"]) == (currency, amount)
    assert parsed.currencies == [currency]
    assert parsed.totals["credits"] == amount


def test_type_code_ranges_and_totals() -> None:
    details = ["16,100,1,,,,/", "16,399,2,,,,/", "16,400,4,,,,/", "16,699,8,,,,/"]
    data = one_account(*details, account_total=3015, records=6)
    parsed = parse(data, "x")
    assert [t["credit_debit"] for t in txn_values(parsed)] == ["CRDT", "CRDT", "DBIT", "DBIT"]
    assert parsed.totals == {"file_control_total": "30.15", "credits": "0.03", "debits": "0.12"}


def test_unbookable_details_are_quarantined_but_counted() -> None:
    data = one_account(
        "16,890,,,,,INFORMATION ONLY/",
        "16,195,-500,,,,NEGATIVE/",
        "16,195,,,,,NO AMOUNT/",
        "16,195,700,,,,OK/",
        account_total=3200,
        records=6,
    )
    parsed = parse(data, "x")
    assert parsed.entries == 4
    assert len(txn_values(parsed)) == 1
    assert [q.row_number for q in parsed.quarantine] == [3, 4, 5]
    assert [q.reason[:7] for q in parsed.quarantine] == ["line 4:", "line 5:", "line 6:"]
    assert "890 is not a credit (100-399) or debit (400-699)" in parsed.quarantine[0].reason
    assert "negative" in parsed.quarantine[1].reason
    assert "no amount" in parsed.quarantine[2].reason
    assert parsed.quarantine[0].raw == "16,890,,,,,INFORMATION ONLY/"
    assert parsed.rows_read == len(parsed.rows) + 3


def test_return_reason_only_from_a_reason_field() -> None:
    data = one_account(
        '16,266,500,,GI21,2021,Outgoing Wire Return,Return Reason: "Payee does not exist"',
        account_total=3500,
        records=3,
    )
    (txn,) = txn_values(parse(data, "x"))
    assert txn["return_reason"] is None
    assert txn["reversal"] == "false"


def test_group_and_account_indexes_in_statement_id() -> None:
    data = bai2_bytes(
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
