"""One ISO 4217 table: the parsers and silver agree on every code and its decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lakehouse.bronze.formats import camt, mt940
from lakehouse.bronze.formats.base import money_text
from lakehouse.iso4217 import MINOR_UNITS, minor_units
from lakehouse.silver.currencies import iso_codes_sql


def test_minor_units_of_every_kind() -> None:
    assert [minor_units(c) for c in ("JPY", "EUR", "KWD", "CLF", "UYW")] == [0, 2, 3, 4, 4]
    assert minor_units("clf") == 4
    assert minor_units(None) == minor_units("XYZ") == 2
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in MINOR_UNITS)


def test_silver_accepts_exactly_the_table() -> None:
    codes = {code.strip("'") for code in iso_codes_sql().split(", ")}
    assert codes == set(MINOR_UNITS)
    assert {"CLF", "UYW", "EUR", "JPY", "KWD"} <= codes


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        ("5", "JPY", "5"),
        ("5", "EUR", "5.00"),
        ("1.5", "KWD", "1.500"),
        ("0.1", "CLF", "0.1000"),
        ("10.12345", "UYW", "10.12345"),  # more decimals are kept, never rounded
        ("-0.00", "EUR", "0.00"),
    ],
)
def test_money_text_pads_to_the_currency_and_never_rounds(
    value: str, currency: str, text: str
) -> None:
    assert money_text(Decimal(value), currency) == text


def test_camt_takes_four_decimals_for_clf_without_a_warning() -> None:
    document = (
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
        b"<BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S</Id>"
        b"<Acct><Id><Othr><Id>1</Id></Othr></Id><Ccy>CLF</Ccy></Acct>"
        b'<Ntry><Amt Ccy="CLF">1.2345</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        b"<BookgDt><Dt>2024-03-01</Dt></BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>"
    )
    parsed = camt.parse(document, "clf.xml")
    assert [row.values["amount"] for row in parsed.rows] == ["1.2345"]
    assert parsed.warnings == []


def test_mt940_pads_uyw_to_four_decimals() -> None:
    text = "\n".join(
        [
            ":20:REF",
            ":25:ACCOUNT",
            ":28C:1/1",
            ":60F:C240301UYW1,5",
            ":61:2403010301C1,25NTRFNONREF",
            ":62F:C240301UYW2,75",
            "-",
        ]
    )
    parsed = mt940.parse(text.encode(), "uyw.sta")
    amounts = [row.values["amount"] for row in parsed.rows]
    assert amounts == ["1.5000", "1.2500", "2.7500"]
