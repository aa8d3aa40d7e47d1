"""Tests of the MT940 parser: real samples, one hand-written file per quirk, and properties
(random bytes, truncated samples, generated statements)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats.base import BANK_COLUMNS, ParsedFile
from lakehouse.bronze.formats.mt940 import parse as parse_unchecked
from lakehouse.errors import FileRejected
from tests.bronze.formats.invariants import assert_invariants, checked

parse = checked(parse_unchecked)

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples" / "mt940"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"real MT940 samples not found at {SAMPLES} (the shared samples folder is missing)",
)


def _rejected(data: bytes) -> str:
    with pytest.raises(FileRejected) as info:
        parse(data, "test.sta")
    assert info.value.path == "test.sta"
    return info.value.reason


def _txns(parsed: ParsedFile) -> list[dict[str, str | None]]:
    return [r.values for r in parsed.rows if r.values["record_type"] == "TXN"]


def _balances(parsed: ParsedFile) -> list[dict[str, str | None]]:
    return [r.values for r in parsed.rows if r.values["record_type"] == "BALANCE"]


def _lines(*lines: str, sep: str = "\n") -> bytes:
    return sep.join(lines).encode()


def _statement(*body: str, opening: str = "C240301EUR100,00", closing: str = "") -> list[str]:
    """One statement; ``closing`` defaults to the opening balance (no entries)."""
    return [
        ":20:REF1",
        ":25:NL91ABNA0417164300",
        ":28C:1/1",
        f":60F:{opening}",
        *body,
        f":62F:{closing or opening}",
        "-",
    ]


# --------------------------------------------------------------------------- real samples

# file -> (:61: lines, statements, BALANCE rows, accounts, currency)
TIES = {
    "wolph_betterplace_sepa_mt9401.sta": (97, 26, 72, 20, "EUR"),
    "wolph_jejik_rabobank-iban.sta": (4, 2, 4, 1, "EUR"),
    "wolph_jejik_sns.sta": (2, 2, 4, 1, "EUR"),
    "wolph_sberbank_171011_01234945.sta": (3, 1, 3, 1, "HUF"),
}

# file -> fragments the reason must contain (statement, computed closing, stated closing),
# and fragments it must not contain (statements that do tie)
REJECTED: dict[str, tuple[list[str], list[str]]] = {
    # 3236.28 - 321.44 = 2914.84 vs 876.84; 2876.84 - 24.49 = 2852.35 vs 1849.75
    "wolph_jejik_abnamro.sta": (
        [
            "ABN AMRO BANK NV/19321/1",
            "= 2914.84 but closing :62F: is 876.84",
            "ABN AMRO BANK NV/19322/1",
            "= 2852.35 but closing :62M: is 1849.75",
        ],
        [],
    ),
    # 0.00 - 53.27 + 7.68 ... = -45.59 vs 3.47
    "wolph_jejik_ing.sta": (["MPBZ/000", "= -45.59 but closing :62F: is 3.47"], []),
    # second statement: 3058.98 - 7260 + 500 = -3701.02 vs 798.98; the first ties
    "wolph_jejik_knab.sta": (
        ["B4G30MS9D00A003D/999/1", "= -3701.02 but closing :62F: is 798.98"],
        ["B4E08MS9D00A0009"],
    ),
    # second statement: 229.20 - 79.90 + 10.10 = 159.40 vs 159.60; the first ties
    "wolph_jejik_postfinance.sta": (
        ["2014040708285928/999/2", "= 159.40 but closing :62F: is 159.60", "difference 0.20"],
        ["2014040708285927/999/1"],
    ),
    # 4975.09 - 15.70 - 700.00 = 4259.39 vs 4370.79
    "wolph_jejik_triodos.sta": (
        ["1308728725026/1/1", "= 4259.39 but closing :62F: is 4370.79"],
        [],
    ),
}


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@needs_samples
def test_every_mt940_sample_is_covered() -> None:
    assert {path.name for path in SAMPLES.iterdir()} == set(TIES) | set(REJECTED)


@needs_samples
@pytest.mark.parametrize("name", sorted(TIES))
def test_tying_sample_parses(name: str) -> None:
    entries, statements, balances, accounts, currency = TIES[name]
    parsed = parse(_sample(name), name)
    assert parsed.format == "mt940"
    assert parsed.columns == BANK_COLUMNS
    assert parsed.entries == entries
    assert len(_txns(parsed)) == entries
    assert len(_balances(parsed)) == balances
    assert parsed.totals["statements"] == str(statements)
    assert len(parsed.accounts) == accounts
    assert parsed.currencies == [currency]
    assert parsed.quarantine == []
    numbers = [r.row_number for r in parsed.rows]
    assert numbers == sorted(set(numbers))
    lines = _sample(name).decode("utf-8").splitlines()
    for row in parsed.rows:
        assert set(row.values) == set(BANK_COLUMNS)
        assert lines[row.row_number - 1].startswith(":6")  # the line the tag starts on
        assert (row.values["raw"] or "").startswith(lines[row.row_number - 1].rstrip("\r"))


@needs_samples
@pytest.mark.parametrize("name", sorted(REJECTED))
def test_sample_that_does_not_tie_is_rejected(name: str) -> None:
    with pytest.raises(FileRejected) as info:
        parse(_sample(name), name)
    reason = info.value.reason
    assert "do not tie" in reason
    must, must_not = REJECTED[name]
    for fragment in must:
        assert fragment in reason
    for fragment in must_not:
        assert fragment not in reason


@needs_samples
def test_betterplace_reversal_debit_opening_and_structured_86() -> None:
    parsed = parse(_sample("wolph_betterplace_sepa_mt9401.sta"), "bp.sta")
    rows = {r.row_number: r.values for r in parsed.rows}
    opening = rows[4]
    assert (opening["balance_type"], opening["credit_debit"]) == ("OPBD", "DBIT")
    assert opening["amount"] == "1234718.36"
    assert opening["statement_id"] == "T089413946000001/00004/00001"
    assert opening["account_id"] == "50880050/0194774600888"
    first = rows[5]  # :61:0709040904CR300,NTRFTFNr 40005 MSGID//0724710345313905
    assert first["amount"] == "300.00"
    assert first["credit_debit"] == "CRDT"
    assert first["type_code"] == "NTRF"
    assert first["bank_reference"] == "0724710345313905"
    assert first["customer_reference"] == "TFNR 40005 00005"  # EREF+ from :86:
    assert first["description"] == (
        "RETOURE EREF+TFNR 40005 00005 MTLG:Grund nicht spezifiziert"
        " Reject aus SEPA-Ueberweisungsauftrag"
    )
    storno = rows[19]  # :61:0709040904RCR204,88NRTINONREF
    assert (storno["credit_debit"], storno["reversal"]) == ("DBIT", "true")
    assert storno["customer_reference"] is None  # NONREF
    assert [rows[23]["balance_type"], rows[24]["balance_type"]] == ["CLBD", "CLAV"]
    credit = rows[30]
    assert credit["counterparty_name"] == "Richter Renate 70 Zeichen Beginn Fuellzeichen xxxxxxxx"
    assert credit["counterparty_account"] == "DE42100100100043921105"
    assert credit["customer_reference"] == "EndToEndIdTFNR2000400001"
    assert rows[38]["customer_reference"] == "TFNr 01005 PayId CTSc-01 EBB"  # KREF+


@needs_samples
def test_rabobank_slash_codes_and_supplementary_iban() -> None:
    parsed = parse(_sample("wolph_jejik_rabobank-iban.sta"), "rabo.sta")
    first, second, _, _ = _txns(parsed)
    assert first["amount"] == "25.00"
    assert first["customer_reference"] == "01-01-2013 12:00 0030000987654321"
    assert first["counterparty_name"] == "CONTRA ACCOUNT HOLDER"
    assert first["counterparty_account"] == "NL70ABNA0987654321"  # :61: supplementary details
    assert second["description"] == "Reference 201301234 P001234567"
    assert second["counterparty_name"] == "JOHN DOE"
    assert "statement id 940S130101/0 is used by several statements" in parsed.warnings[0]


@needs_samples
def test_sberbank_ns_tags_crlf_and_replacement_characters() -> None:
    parsed = parse(_sample("wolph_sberbank_171011_01234945.sta"), "sber.sta")
    first = _txns(parsed)[0]
    assert first["amount"] == "2402.00"
    assert first["credit_debit"] == "DBIT"
    assert "ERGO Versicherung AG" in (first["description"] or "")
    assert "\ufffd" in (first["description"] or "")
    assert "\r" not in (first["raw"] or "")
    assert parsed.totals["opening"] == "627311.30"
    assert parsed.totals["closing"] == "617874.30"


@needs_samples
def test_sns_padded_86_and_empty_statement() -> None:
    parsed = parse(_sample("wolph_jejik_sns.sta"), "sns.sta")
    assert [t["description"] for t in _txns(parsed)] == [
        "0987654321 marechal s dit is een test",
        "0987654321 marechal s dit is test 2",
    ]


# ---------------------------------------------------------------------- hand-written quirks


def test_balances_rows_and_statement_id() -> None:
    data = _lines(
        ":20:STMT",
        ":25:DE89370400440532013000",
        ":28C:00012/00003",
        ":60F:D240301EUR10,5",
        ":61:2403010301C20,NTRFNONREF",
        ":62M:C240301EUR9,50",
        ":64:C240301EUR9,5",
        ":65:C240304EUR9,5",
        ":65:C240305EUR9,5",
        "-",
    )
    parsed = parse(data, "t.sta")
    assert [(r.row_number, r.values["balance_type"]) for r in parsed.rows] == [
        (4, "OPBD"),
        (5, None),
        (6, "CLBD_INTERMEDIATE"),
        (7, "CLAV"),
        (8, "FWAV"),
        (9, "FWAV"),
    ]
    opening = parsed.rows[0].values
    assert opening["statement_id"] == "STMT/00012/00003"
    assert opening["amount"] == "10.50"
    assert opening["credit_debit"] == "DBIT"
    assert opening["booking_date"] == "2024-03-01"
    assert opening["currency"] == "EUR"
    assert parsed.totals["opening"] == "-10.50"


def test_intermediate_opening_balance() -> None:
    data = _lines(":20:X", ":25:A", ":60M:C240301EUR1,00", ":62F:C240301EUR1,00")
    (balance, _) = _balances(parse(data, "t.sta"))
    assert balance["balance_type"] == "OPBD_INTERMEDIATE"
    assert balance["statement_id"] == "X"  # no :28C:


@pytest.mark.parametrize(
    ("line", "amount", "direction", "reversal"),
    [
        ("2403010301C1,23NTRFREF", "1.23", "CRDT", "false"),
        ("2403010301D1,23NTRFREF", "1.23", "DBIT", "false"),
        ("2403010301RC1,23NTRFREF", "1.23", "DBIT", "true"),  # reversal of a credit
        ("2403010301RD1,23NTRFREF", "1.23", "CRDT", "true"),  # reversal of a debit
        ("2403010301CR1,23NTRFREF", "1.23", "CRDT", "false"),  # funds code R
        ("2403010301DR1,23NTRFREF", "1.23", "DBIT", "false"),
        ("2403010301RCR1,23NTRFREF", "1.23", "DBIT", "true"),
        ("240301D9,N192NONREF", "9.00", "DBIT", "false"),  # no entry date, `9,`
        ("240301C500,NTRFREF", "500.00", "CRDT", "false"),
        ("240301D000000001000,00NTRFREF", "1000.00", "DBIT", "false"),
    ],
)
def test_statement_line_marks_and_amounts(
    line: str, amount: str, direction: str, reversal: str
) -> None:
    signed = Decimal(amount) if direction == "CRDT" else -Decimal(amount)
    closing = f"{'C' if signed >= 0 else 'D'}240301EUR{abs(signed)}".replace(".", ",")
    data = _lines(*_statement(f":61:{line}", opening="C240301EUR0,", closing=closing))
    (txn,) = _txns(parse(data, "t.sta"))
    assert (txn["amount"], txn["credit_debit"], txn["reversal"]) == (amount, direction, reversal)


def test_amount_without_decimal_comma_is_read_with_a_warning() -> None:
    data = _lines(
        *_statement(
            ":61:1407290729C500NTRF29-07-2014 10:05//B4G29PGDCK1QFV3E",
            opening="C140729EUR0,",
            closing="C140729EUR500,",
        )
    )
    parsed = parse(data, "t.sta")
    (txn,) = _txns(parsed)
    assert txn["amount"] == "500.00"
    assert txn["type_code"] == "NTRF"
    assert txn["customer_reference"] == "29-07-2014 10:05"
    assert txn["bank_reference"] == "B4G29PGDCK1QFV3E"
    assert any("amount without decimal comma" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("value", "entry", "booking"),
    [
        ("231231", "0102", "2024-01-02"),  # booked in the new year
        ("240102", "1231", "2023-12-31"),  # booked in the old year
        ("240315", "0316", "2024-03-16"),
        ("240229", "0301", "2024-03-01"),
    ],
)
def test_entry_date_year_rollover(value: str, entry: str, booking: str) -> None:
    data = _lines(*_statement(f":61:{value}{entry}C0,NTRFNONREF"))
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["booking_date"] == booking
    assert txn["value_date"] == f"20{value[:2]}-{value[2:4]}-{value[4:]}"


def test_references_and_supplementary_details() -> None:
    data = _lines(
        *_statement(
            ":61:1312091209C0,FMSC01916//BANKREF123",
            "20131209007602198765432000000012",
            "second line of details",
            ":86:Text",
        )
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["type_code"] == "FMSC"
    assert txn["customer_reference"] == "01916"
    assert txn["bank_reference"] == "BANKREF123"
    assert txn["description"] == ("Text 20131209007602198765432000000012 second line of details")
    assert txn["raw"] == (
        ":61:1312091209C0,FMSC01916//BANKREF123\n20131209007602198765432000000012\n"
        "second line of details\n:86:Text"
    )


def test_german_subfields() -> None:
    data = _lines(
        *_statement(
            ":61:2403010301C0,NTRFNONREF//BANK1",
            ":86:166?00GUTSCHRIFT?100399?20EREF+E2E-REF-0?2101?22SVWZ+Rechnung 4",
            "711 vom 1.3.?23ABWA+Someone?30DEUTDEFF?31DE02120300000000202051?32Max Muste",
            "rmann GmbH?33 & Co. KG?34997",
        )
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["customer_reference"] == "E2E-REF-001"
    assert (
        txn["description"] == "GUTSCHRIFT EREF+E2E-REF-001 SVWZ+Rechnung 4711 vom 1.3. ABWA+Someone"
    )
    assert txn["counterparty_name"] == "Max Mustermann GmbH & Co. KG"
    assert txn["counterparty_account"] == "DE02120300000000202051"


def test_triodos_angle_bracket_subfields_skip_our_own_account() -> None:
    data = _lines(
        ":20:1/1",
        ":25:TRIODOSBANK/0390123456",
        ":60F:C110101EUR0,",
        ":61:110101D0,N000NONREF",
        ":86:000>100987654321",
        ">20ALGEMENE TUSSENREKENING KOS>21TEN VAN 01-10-2010",
        ">310390123456",
        ":62F:C110101EUR0,",
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["description"] == "ALGEMENE TUSSENREKENING KOSTEN VAN 01-10-2010"
    assert txn["counterparty_account"] is None  # >31 is our own account here


def test_dutch_slash_codes_with_return_reason_and_cntp() -> None:
    data = _lines(
        *_statement(
            ":61:2403010301D0,N654NONREF",
            ":86:/RTRN/MS03/EREF/INV-77/CNTP/NL02ABNA0123456789/ABNANL2A/J DOE/AMSTER",
            "DAM/REMI/USTD//Invoice 77 returned/",
        )
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["return_reason"] == "MS03"
    assert txn["customer_reference"] == "INV-77"
    assert txn["counterparty_account"] == "NL02ABNA0123456789"
    assert txn["counterparty_name"] == "J DOE"
    assert txn["description"] == "Invoice 77 returned"


def test_ing_double_slash_layout() -> None:
    data = _lines(
        *_statement(
            ":61:2403010301D0,NTRFEREF//00000000001016",
            "/TRCD/00100/",
            ":86:/EREF/NOTPROVIDED//CNTP/NL02ABNA0123456789/ABNANL2A/J DOE/AMSTERDAM//REMI/",
            "USTD//Factuur 123/",
        )
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["customer_reference"] == "EREF"  # NOTPROVIDED: the :61: reference
    assert txn["bank_reference"] == "00000000001016"
    assert txn["counterparty_account"] == "NL02ABNA0123456789"
    assert txn["counterparty_name"] == "J DOE"
    assert txn["description"] == "Factuur 123 /TRCD/00100/"


def test_eref_notprovided_falls_back_to_the_statement_line_reference() -> None:
    data = _lines(
        *_statement(":61:2403010301D0,NTRFMYREF//B1", ":86:/EREF/NOTPROVIDED/NAME/X/REMI/Y")
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["customer_reference"] == "MYREF"


def test_free_text_86_with_knab_account_and_name() -> None:
    data = _lines(
        *_statement(
            ":61:2403010301D0,NTRFNONREF",
            ":86:FACTUUR 201403110, 201403113",
            "REK: NL65INGB0123456789/NAAM: PICQER",
        )
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["description"] == "FACTUUR 201403110, 201403113 REK: NL65INGB0123456789/NAAM: PICQER"
    assert txn["counterparty_account"] == "NL65INGB0123456789"
    assert txn["counterparty_name"] == "PICQER"


def test_swift_block_wrappers() -> None:
    data = _lines(
        "{1:F01ABNANL2AAXXX0000000000}{2:O9401200240301ABNANL2AAXXX00000000002403011200N}"
        "{3:{108:MT940}}{4:",
        *_statement(":61:2403010301C1,00NTRFNONREF", closing="C240301EUR101,00")[:-1],
        "-}{5:{CHK:123456789ABC}}",
        "{1:F01ABNANL2AAXXX0000000000}{2:O940}{4::20:SECOND",
        ":25:NL91ABNA0417164300",
        ":60F:C240301EUR0,",
        ":62F:C240301EUR0,",
        "-}",
    )
    parsed = parse(data, "t.sta")
    assert parsed.entries == 1
    assert parsed.totals["statements"] == "2"
    assert {r.values["statement_id"] for r in parsed.rows} == {"REF1/1/1", "SECOND"}


def test_bank_header_lines_blank_lines_tabs_and_trailing_spaces() -> None:
    data = _lines(
        ":940:",
        "0000 01INGBNL2AXXXX00001",
        "940 00",
        "ABNANL2A",
        "940",
        ":20:REF   ",
        ":25:NL91ABNA0417164300   ",
        ":60F:C240301EUR0,00  ",
        "",
        ":61:240301D1,00NTRFEREF            ",
        "",
        ":86:line one\twith tab   ",
        "   ",
        "line two",
        ":62F:D240301EUR1,00 ",
        ":86:D000004C000002D25,24C28,71",
        "-XXX",
    )
    parsed = parse(data, "t.sta")
    (txn,) = _txns(parsed)
    assert txn["customer_reference"] == "EREF"
    assert txn["description"] == "line one with tab line two"
    assert txn["statement_id"] == "REF"
    assert txn["account_id"] == "NL91ABNA0417164300"


def test_crlf_and_lf_give_the_same_rows() -> None:
    lines = _statement(":61:2403010301C1,00NTRFNONREF", ":86:x", closing="C240301EUR101,00")
    lf, crlf, cr = (parse(_lines(*lines, sep=sep), "t.sta") for sep in ("\n", "\r\n", "\r"))
    assert lf.rows == crlf.rows == cr.rows


def test_soft_hyphens_dropped_in_codes_and_read_as_hyphens_in_text() -> None:
    shy = "\u00ad"
    data = _lines(
        *_statement(
            f":61:24{shy}0301D1,00NTRFNONREF",
            f":86:ING iDEAL 10{shy}06{shy}2010 15:32",
            closing="C240301EUR99,00",
        )
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["value_date"] == "2024-03-01"
    assert txn["description"] == "ING iDEAL 10-06-2010 15:32"


def test_non_utf8_text_is_decoded_with_a_warning() -> None:
    lines = _statement(":61:2403010301C0,NTRFNONREF", ":86:Überweisung café")
    cp1252 = parse("\n".join(lines).encode("cp1252"), "t.sta")
    assert _txns(cp1252)[0]["description"] == "Überweisung café"
    assert "read as cp1252" in cp1252.warnings[0]
    latin1 = parse("\n".join(lines).encode("latin-1") + b"\n\x81", "t.sta")
    assert "read as latin-1" in latin1.warnings[0]
    utf8 = parse("\n".join([*lines[:-3], ":86:Illet\ufffdk", *lines[-2:]]).encode(), "t.sta")
    assert utf8.warnings == []


def test_utf8_bom_is_ignored() -> None:
    data = b"\xef\xbb\xbf" + _lines(*_statement())
    assert parse(data, "t.sta").totals["statements"] == "1"


def test_ns_tag_kept_in_description_or_ignored() -> None:
    data = _lines(
        ":20:S",
        ":25:1",
        ":NS:22JOHN DOE",
        "23John Doe",
        ":60F:C171011HUF10,00",
        ":61:1710111011DF2,00S   X",
        ":NS:01526715",
        "15ERGO Versicherung",
        ":62F:C171011HUF8,00",
    )
    (txn,) = _txns(parse(data, "t.sta"))
    assert txn["description"] == "01526715 15ERGO Versicherung"
    assert txn["type_code"] == "S"
    assert txn["customer_reference"] == "X"


def test_unreadable_statement_line_is_quarantined() -> None:
    data = _lines(*_statement(":61:garbage that is no statement line", ":86:text"))
    parsed = parse(data, "t.sta")
    assert parsed.entries == 1
    assert _txns(parsed) == []
    (quarantined,) = parsed.quarantine
    assert quarantined.row_number == 5
    assert quarantined.raw == ":61:garbage that is no statement line"
    assert "cannot be read" in quarantined.reason
    assert parsed.rows_read == 3


def test_quarantined_line_is_mentioned_when_the_statement_does_not_tie() -> None:
    data = _lines(*_statement(":61:24130101C5,00NTRFNONREF", closing="C240301EUR105,00"))
    assert "1 :61: line(s) could not be read" in _rejected(data)


def test_statement_that_does_not_tie_names_the_statement_and_both_numbers() -> None:
    data = _lines(*_statement(":61:2403010301C5,00NTRFNONREF", closing="C240301EUR104,00"))
    reason = _rejected(data)
    assert reason == (
        "mt940 statements do not tie: statement REF1/1/1 (line 1): opening :60F: 100.00"
        " + entries 5.00 = 105.00 but closing :62F: is 104.00 (difference -1.00)"
    )


def test_currency_change_between_balances_is_rejected() -> None:
    data = _lines(*_statement(opening="C240301EUR1,00", closing="C240301CHF1,00"))
    assert "opening balance is in EUR but closing in CHF" in _rejected(data)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "no :20: statement reference"),
        (b"hello world\n", "no :20: statement reference"),
        (b"\x00\x01\x02\xff", "no :20: statement reference"),
        (b":61:240301C1,00NTRF\n:20:X", "tag :61: at line 1 comes before any :20:"),
        (b":20:X\n:25:Y\n:61:240301C1,00NTRFNONREF", "no opening balance"),
        (b":20:X\n:25:Y\n:60F:C240301EUR1,00\n:61:240301C1,00NTRF", "no closing balance"),
        (b":20:X\n:60F:C2403EUR1,00\n:62F:C240301EUR1,00", ":60F: at line 2 is not a balance"),
    ],
)
def test_not_mt940_or_incomplete_is_rejected(data: bytes, fragment: str) -> None:
    assert fragment in _rejected(data)


# ------------------------------------------------------------------------------ properties


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_result_or_a_rejection(data: bytes) -> None:
    assert_invariants(parse, data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([":20:", ":25:", ":28C:", ":60F:", ":61:", ":86:", ":62F:", "-", "?2"])
        | st.text(alphabet="CDR0123456789,NTRF/ ?:-\t\u00ad", max_size=30),
        max_size=40,
    )
)
def test_random_tag_soup_gives_a_result_or_a_rejection(parts: list[str]) -> None:
    data = "\n".join(parts).encode()
    assert_invariants(parse, data)


def _sample_names() -> list[str]:
    return sorted(TIES) + sorted(REJECTED)


@needs_samples
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_sample_names()), st.floats(min_value=0, max_value=1))
def test_truncated_samples_give_a_result_or_a_rejection(name: str, cut: float) -> None:
    data = _sample(name)
    assert_invariants(parse, data[: int(len(data) * cut)])


def _swift_amount(value: Decimal) -> str:
    return f"{'C' if value >= 0 else 'D'}240301EUR{abs(value)}".replace(".", ",")


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@settings(max_examples=100, deadline=None)
@given(
    opening=st.decimals(min_value=Decimal("-5000"), max_value=Decimal("5000"), places=2),
    entries=st.lists(st.tuples(amounts, st.sampled_from(["C", "D", "RC", "RD"])), max_size=12),
    error=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2),
)
def test_generated_statements_tie_or_are_rejected(
    opening: Decimal, entries: list[tuple[Decimal, str]], error: Decimal
) -> None:
    closing = opening + sum((a if m in ("C", "RD") else -a for a, m in entries), Decimal(0))
    lines = [f":61:2403010301{m}{str(a).replace('.', ',')}NTRFNONREF" for a, m in entries]
    good = _lines(
        *_statement(*lines, opening=_swift_amount(opening), closing=_swift_amount(closing))
    )
    parsed = parse(good, "g.sta")
    assert parsed.entries == len(entries)
    assert [Decimal(t["amount"] or "") for t in _txns(parsed)] == [a for a, _ in entries]
    wrong = closing + error
    bad = _lines(*_statement(*lines, opening=_swift_amount(opening), closing=_swift_amount(wrong)))
    reason = _rejected(bad)
    assert "statement REF1/1/1" in reason
    assert f"closing :62F: is {wrong:.2f}" in reason
