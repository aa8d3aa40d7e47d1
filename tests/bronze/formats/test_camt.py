"""Tests of the camt.053/054 parser: real samples, one hand-written document per quirk,
and properties (random bytes, truncated samples, generated statements)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats.base import BANK_COLUMNS, ParsedFile
from lakehouse.bronze.formats.camt import parse as parse_unchecked
from lakehouse.errors import FileRejected
from tests.bronze.formats.invariants import assert_invariants, checked

parse = checked(parse_unchecked)

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples"
needs_samples = pytest.mark.skipif(
    not (SAMPLES / "camt053").is_dir(),
    reason=f"real camt samples not found at {SAMPLES} (the shared samples folder is missing)",
)

NS053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
NS054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"


def _rejected(data: bytes) -> str:
    with pytest.raises(FileRejected) as info:
        parse(data, "test.xml")
    assert info.value.path == "test.xml"
    return info.value.reason


def _txns(parsed: ParsedFile) -> list[dict[str, str | None]]:
    return [r.values for r in parsed.rows if r.values["record_type"] == "TXN"]


def _balances(parsed: ParsedFile) -> list[dict[str, str | None]]:
    return [r.values for r in parsed.rows if r.values["record_type"] == "BALANCE"]


# ------------------------------------------------------------------ hand-written documents


def _bal(code: str, amount: str, direction: str = "CRDT", ccy: str = "EUR") -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
        f"<Dt><Dt>2024-03-01</Dt></Dt></Bal>"
    )


def _ntry(amount: str, direction: str = "CRDT", ccy: str = "EUR", inner: str = "") -> str:
    return (
        f'<Ntry><Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
        f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt>"
        f"<ValDt><Dt>2024-03-02</Dt></ValDt>{inner}</Ntry>"
    )


def _stmt(*parts: str, stmt_id: str = "STMT-1", ccy: str = "EUR", tag: str = "Stmt") -> str:
    return (
        f"<{tag}><Id>{stmt_id}</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id>"
        f"<Ccy>{ccy}</Ccy></Acct>{''.join(parts)}</{tag}>"
    )


def _doc(*statements: str, ns: str | None = NS053, kind: str = "BkToCstmrStmt") -> bytes:
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document{xmlns}><{kind}>'
        f"<GrpHdr><MsgId>M1</MsgId></GrpHdr>{''.join(statements)}</{kind}></Document>"
    ).encode()


def _notification(*parts: str) -> bytes:
    return _doc(_stmt(*parts, tag="Ntfctn"), ns=NS054, kind="BkToCstmrDbtCdtNtfctn")


def _simple_statement(ns: str | None = NS053) -> bytes:
    return _doc(
        _stmt(
            _bal("OPBD", "100.00"),
            _bal("CLBD", "130.00"),
            _ntry("50.00", "CRDT"),
            _ntry("20.00", "DBIT"),
        ),
        ns=ns,
    )


# --------------------------------------------------------------------------- real samples

# file -> (format, Ntry elements, BALANCE rows, statement_id)
TIES = {
    "camt053/banana_2023-02-01_C053_001_04_CH2801234000123456789_CHF_001.xml": (
        "camt053",
        1,
        3,
        "0002302010958001",
    ),
    "camt053/banana_2023-02-01_C053_001_08_CH2801234000123456789_CHF_001.xml": (
        "camt053",
        1,
        3,
        "0002302010957001",
    ),
    "camt053/banana_camt054_v04_adrline_ubs.xml": ("camt053", 4, 3, "6H9BHDXAJCNBZ5AA"),
    "camt053/viafintech_valid_example.xml": ("camt053", 4, 2, "0352C5320131227220503"),
    "camt054/banana_2023-02-01_C054_001_04_CH2801234000123456789_CHF_001.xml": (
        "camt054",
        1,
        0,
        "0002302010958001",
    ),
    "camt054/banana_2023-02-01_C054_001_08_CH2801234000123456789_CHF_001.xml": (
        "camt054",
        1,
        0,
        "0002302010957001",
    ),
    # minimal notification: no balances, no TxsSummry, no batch -> nothing can disagree
    "camt054/genkgo_camt054.v8-with-UETR.xml": ("camt054", 1, 0, "AAAASESS-FP-ACCR001"),
}

# file -> fragments the rejection reason must contain (statement, both numbers)
REJECTED = {
    # OPBD 1.01 + 8.850 = 9.860, CLBD says 4.04 (dummy amounts of all ten balance types)
    "camt053/genkgo_camt053.v2.all-balance-types.xml": [
        "CAMT0532015012200001",
        "9.860",
        "CLBD is 4.04",
    ],
    # 18.150 + 8.850 = 27.000, CLBD says 27.050
    "camt053/genkgo_camt053.v2.five.decimals.xml": [
        "253EURNL26VAYB8060476890",
        "= 27.000",
        "CLBD is 27.050",
    ],
    # 18.15 EUR + 8.85 = 27.00, CLBD is a debit of 27.00 (in SEK)
    "camt053/genkgo_camt053.v8.xml": ["253EURNL26VAYB8060476890", "= 27.00", "CLBD is -27.00"],
    # 82721.95 + 474.40 + 88.85 - 19.69 (CHF counter-value of EUR 20.97) = 83265.51
    "camt053/viafintech_valid_example_v8.xml": [
        "R30B4SA880HMZ9XA",
        "= 83265.51",
        "CLBD is 84515.25",
    ],
    # TxsSummry claims 35 entries summing to 41136.40; 3 entries (12441.74) are present
    "camt053/viafintech_valid_example_with_batch.xml": [
        "2019062434566666666666666",
        "TxsSummry/TtlNtries/Sum is 41136.40",
        "sum to 12441.74",
        "TtlCdtNtries/Sum is 28422.40",
        "TtlDbtNtries/Sum is 12714.00",
        "CLBD is 23038.20",
    ],
    # batch TtlAmt 6.3 but the three TxDtls are 3.1 + 3.2 + 3.2 = 9.5
    "camt054/genkgo_camt054.v8.xml": ["AAAASESS-FP-ACCR001", "TtlAmt is 6.30", "sum to 9.50"],
}


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@needs_samples
def test_every_camt_sample_is_covered() -> None:
    present = {
        f"{folder}/{path.name}"
        for folder in ("camt053", "camt054")
        for path in (SAMPLES / folder).iterdir()
    }
    assert present == set(TIES) | set(REJECTED)


@needs_samples
@pytest.mark.parametrize("name", sorted(TIES))
def test_tying_sample_parses(name: str) -> None:
    fmt, entries, balances, statement_id = TIES[name]
    parsed = parse(_sample(name), name)
    assert parsed.format == fmt
    assert parsed.columns == BANK_COLUMNS
    assert parsed.entries == entries
    assert len(_txns(parsed)) == entries
    assert len(_balances(parsed)) == balances
    assert parsed.quarantine == []
    assert [r.row_number for r in parsed.rows] == list(range(1, balances + entries + 1))
    assert {r.values["statement_id"] for r in parsed.rows} == {statement_id}
    for row in parsed.rows:
        assert set(row.values) == set(BANK_COLUMNS)
        assert row.values["raw"]
        assert Decimal(row.values["amount"] or "x") >= 0


@needs_samples
@pytest.mark.parametrize("name", sorted(REJECTED))
def test_sample_that_does_not_tie_is_rejected(name: str) -> None:
    with pytest.raises(FileRejected) as info:
        parse(_sample(name), name)
    assert "do not tie" in info.value.reason
    for fragment in REJECTED[name]:
        assert fragment in info.value.reason


@needs_samples
def test_camt053_named_camt054_is_a_statement_with_adrline_counterparties() -> None:
    parsed = parse(_sample("camt053/banana_camt054_v04_adrline_ubs.xml"), "ubs.xml")
    assert parsed.format == "camt053"
    assert parsed.totals == {
        "statements": "1",
        "credits": "90.00",
        "debits": "351.75",
        "opening": "31016.42",
        "closing": "30754.67",
    }
    first, card, direct_debit, incoming = _txns(parsed)
    assert first["amount"] == "209.70"
    assert first["credit_debit"] == "DBIT"
    assert first["type_code"] == "PMNT/ICDT/AUTT"
    assert first["bank_reference"] == "9939304TO9287634"
    assert first["counterparty_name"] == "Keller Fahnen AG"  # no Nm: first AdrLine
    assert first["description"] == "934545800011543260001271905 e-banking Order"
    assert card["value_date"] == "2020-10-30"
    assert card["booking_date"] == "2020-11-02"
    assert "TS Auto Bürki AG Pfyn" in (card["description"] or "")
    assert direct_debit["counterparty_name"] == "SWISSCOM (SCHWEIZ) AG"
    assert incoming["credit_debit"] == "CRDT"
    assert incoming["amount"] == "90.00"


@needs_samples
def test_prcd_is_the_opening_and_batch_details_are_joined() -> None:
    parsed = parse(_sample("camt053/viafintech_valid_example.xml"), "via.xml")
    assert [b["balance_type"] for b in _balances(parsed)] == ["PRCD", "CLBD"]
    txns = _txns(parsed)
    assert txns[0]["customer_reference"] == "EndToEndReference"
    assert txns[0]["counterparty_name"] == "Testkonto Nummer 2"  # debit: the creditor
    assert txns[0]["counterparty_account"] == "DE09300606010012345671"
    assert txns[1]["customer_reference"] == "CCTI/VRNWSW/b044f24cddb92a502b8a1b5"  # NOTPROVIDED
    assert txns[2]["counterparty_account"] == "740618130100033626"  # credit: debtor Othr/Id
    batch = txns[3]
    assert batch["amount"] == "6.00"
    assert batch["customer_reference"] == "STZV-EtE27122013-11:02-1; STZV-EtE27122013-11:02-2"
    assert "2. Zahlung" in (batch["description"] or "")
    assert "1. Zahlung" in (batch["description"] or "")
    assert (batch["raw"] or "").count("TxDtls>") == 4  # whole Ntry: two TxDtls open + close


@needs_samples
def test_camt054_batch_with_eight_details_is_one_row() -> None:
    name = "camt054/banana_2023-02-01_C054_001_08_CH2801234000123456789_CHF_001.xml"
    parsed = parse(_sample(name), name)
    (row,) = _txns(parsed)
    assert row["amount"] == "80.00"
    assert row["currency"] == "CHF"
    refs = (row["customer_reference"] or "").split("; ")
    assert refs == [f"UXC23020100044E0000{i}" for i in range(1, 9)]
    assert row["counterparty_name"] == "UBS Optimus Foundation"


@needs_samples
def test_uetr_notification_without_dates() -> None:
    parsed = parse(_sample("camt054/genkgo_camt054.v8-with-UETR.xml"), "uetr.xml")
    (row,) = _txns(parsed)
    assert row["currency"] == "SEK"
    assert row["amount"] == "200000.00"
    assert row["booking_date"] is None
    assert row["customer_reference"] == "255ae394-9965-4438-ac86-f406feada396"


# ---------------------------------------------------------------------- hand-written quirks


@pytest.mark.parametrize(
    "ns",
    [
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04",
        NS053,
        "http://www.six-interbank-clearing.com/de/camt.053.001.04.xsd",
        None,
    ],
)
def test_namespace_agnostic(ns: str | None) -> None:
    parsed = parse(_simple_statement(ns), "test.xml")
    reference = parse(_simple_statement(), "test.xml")
    assert parsed.format == "camt053"
    strip = [{k: v for k, v in r.values.items() if k != "raw"} for r in parsed.rows]
    assert strip == [{k: v for k, v in r.values.items() if k != "raw"} for r in reference.rows]


def test_balance_and_entry_rows() -> None:
    parsed = parse(_simple_statement(), "test.xml")
    assert parsed.entries == 2
    assert parsed.accounts == ["DE89370400440532013000"]
    assert parsed.currencies == ["EUR"]
    assert parsed.totals["opening"] == "100.00"
    assert parsed.totals["closing"] == "130.00"
    opening, closing, credit, debit = (r.values for r in parsed.rows)
    assert opening["balance_type"] == "OPBD"
    assert opening["booking_date"] == "2024-03-01"
    assert closing["amount"] == "130.00"
    assert credit["credit_debit"] == "CRDT"
    assert debit["credit_debit"] == "DBIT"
    assert debit["amount"] == "20.00"  # unsigned
    assert credit["value_date"] == "2024-03-02"
    assert credit["reversal"] == "false"


def test_debit_balance_is_signed_in_the_control() -> None:
    ok = _doc(_stmt(_bal("OPBD", "10.00", "DBIT"), _bal("CLBD", "5.00"), _ntry("15.00")))
    assert parse(ok, "t.xml").totals["opening"] == "-10.00"
    bad = _doc(_stmt(_bal("OPBD", "10.00", "DBIT"), _bal("CLBD", "25.00"), _ntry("15.00")))
    reason = _rejected(bad)
    assert "opening OPBD -10.00 + credits 15.00 - debits 0.00 = 5.00" in reason
    assert "CLBD is 25.00" in reason


def test_prcd_only_when_no_opbd() -> None:
    prcd = _doc(_stmt(_bal("PRCD", "100.00"), _bal("CLBD", "150.00"), _ntry("50.00")))
    assert parse(prcd, "t.xml").totals["opening"] == "100.00"
    both = _doc(
        _stmt(
            _bal("PRCD", "1.00"),
            _bal("OPBD", "100.00"),
            _bal("CLBD", "150.00"),
            _ntry("50.00"),
        )
    )
    assert parse(both, "t.xml").totals["opening"] == "100.00"


def test_closing_without_opening_is_not_checked() -> None:
    parsed = parse(_doc(_stmt(_bal("CLBD", "999.00"), _ntry("1.00"))), "t.xml")
    assert parsed.entries == 1


def test_balance_types_and_datetime_dates() -> None:
    body = _bal("OPAV", "5.00").replace("<Dt><Dt>2024-03-01</Dt></Dt>", "")
    body += (
        '<Bal><Tp><CdOrPrtry><Prtry>BANKSPECIFIC</Prtry></CdOrPrtry></Tp><Amt Ccy="EUR">1</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><DtTm>2024-03-05T23:59:59+01:00</DtTm></Dt></Bal>"
    )
    parsed = parse(_doc(_stmt(body)), "t.xml")
    first, second = _balances(parsed)
    assert (first["balance_type"], first["booking_date"]) == ("OPAV", None)
    assert (second["balance_type"], second["booking_date"]) == ("BANKSPECIFIC", "2024-03-05")


def test_entry_fields() -> None:
    inner = (
        "<AcctSvcrRef>BANKREF-1</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
        "</Domn><Prtry><Cd>166</Cd></Prtry></BkTxCd>"
        "<NtryDtls><TxDtls><Refs><MsgId>MSG</MsgId><InstrId>NOTPROVIDED</InstrId>"
        "<EndToEndId>NOTPROVIDED</EndToEndId><PmtInfId>PMT</PmtInfId></Refs>"
        "<RltdPties><Dbtr><Nm>Alice Payer</Nm></Dbtr><DbtrAcct><Id><IBAN>NL91ABNA0417164300"
        "</IBAN></Id></DbtrAcct><Cdtr><Nm>Us</Nm></Cdtr><CdtrAcct><Id>"
        "<IBAN>DE89370400440532013000</IBAN></Id></CdtrAcct></RltdPties>"
        "<RmtInf><Ustrd>Invoice 42</Ustrd><Strd><CdtrRefInf><Ref>RF18539007547034</Ref>"
        "</CdtrRefInf></Strd></RmtInf><AddtlTxInf>SEPA   credit\n  transfer</AddtlTxInf>"
        "</TxDtls></NtryDtls><AddtlNtryInf>Gutschrift</AddtlNtryInf>"
    )
    (row,) = _txns(parse(_doc(_stmt(_ntry("12.5", inner=inner))), "t.xml"))
    assert row["amount"] == "12.50"
    assert row["type_code"] == "PMNT/RCDT/ESCT"
    assert row["bank_reference"] == "BANKREF-1"
    assert row["customer_reference"] == "MSG"  # first one that is not NOTPROVIDED
    assert row["counterparty_name"] == "Alice Payer"  # credit: the debtor
    assert row["counterparty_account"] == "NL91ABNA0417164300"
    assert row["description"] == ("Invoice 42 RF18539007547034 SEPA credit transfer Gutschrift")


def test_proprietary_bank_transaction_code_and_v8_party() -> None:
    inner = (
        "<BkTxCd><Prtry><Cd>NTRF+020</Cd></Prtry></BkTxCd><NtryDtls><TxDtls>"
        "<RltdPties><Cdtr><Pty><Nm>Bob Shop</Nm></Pty></Cdtr><CdtrAcct><Id><Othr>"
        "<Id>123456</Id></Othr></Id></CdtrAcct></RltdPties></TxDtls></NtryDtls>"
    )
    (row,) = _txns(parse(_doc(_stmt(_ntry("1.00", "DBIT", inner=inner))), "t.xml"))
    assert row["type_code"] == "NTRF+020"
    assert row["counterparty_name"] == "Bob Shop"  # debit: the creditor
    assert row["counterparty_account"] == "123456"


def test_counterparty_side_that_is_our_account_is_skipped() -> None:
    inner = (
        "<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Us</Nm></Dbtr><DbtrAcct><Id>"
        "<IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct><Cdtr><Nm>Carol</Nm></Cdtr>"
        "<CdtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></CdtrAcct>"
        "</RltdPties></TxDtls></NtryDtls>"
    )
    (row,) = _txns(parse(_doc(_stmt(_ntry("1.00", "CRDT", inner=inner))), "t.xml"))
    assert row["counterparty_name"] == "Carol"
    assert row["counterparty_account"] == "FR7630006000011234567890189"


def test_reversal_and_return_reason() -> None:
    inner = (
        "<RvslInd>true</RvslInd><NtryDtls><TxDtls><Refs><EndToEndId>E2E-9</EndToEndId></Refs>"
        "<RltdPties><Dbtr><Nm>Original Payer</Nm></Dbtr><Cdtr><Nm>Us</Nm></Cdtr></RltdPties>"
        "<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls>"
    )
    (row,) = _txns(parse(_doc(_stmt(_ntry("5.00", "DBIT", inner=inner))), "t.xml"))
    assert row["reversal"] == "true"
    assert row["credit_debit"] == "DBIT"
    assert row["return_reason"] == "AC04"
    assert row["customer_reference"] == "E2E-9"
    # a reversed credit is a debit, but the counterparty stays the original debtor
    assert row["counterparty_name"] == "Original Payer"


def test_entry_in_another_currency_keeps_its_currency_and_uses_counter_value() -> None:
    amount_details = (
        '<AmtDtls><InstdAmt><Amt Ccy="CHF">19.69</Amt></InstdAmt>'
        '<TxAmt><Amt Ccy="EUR">20.97</Amt></TxAmt></AmtDtls>'
    )
    entry = _ntry("20.97", "DBIT", ccy="EUR", inner=amount_details)
    body = _stmt(
        _bal("OPBD", "100.00", ccy="CHF"), _bal("CLBD", "80.31", ccy="CHF"), entry, ccy="CHF"
    )
    parsed = parse(_doc(body), "t.xml")
    (row,) = _txns(parsed)
    assert row["currency"] == "EUR"
    assert row["amount"] == "20.97"
    assert parsed.currencies == ["CHF", "EUR"]
    no_counter_value = _stmt(
        _bal("OPBD", "100.00", ccy="CHF"),
        _bal("CLBD", "79.03", ccy="CHF"),
        _ntry("20.97", "DBIT", ccy="EUR"),
        ccy="CHF",
    )
    parsed = parse(_doc(no_counter_value), "t.xml")
    assert any("without a CHF counter-value" in w for w in parsed.warnings)


def test_pending_entries_do_not_move_the_booked_balance() -> None:
    pending = _ntry("99.00").replace("<Cd>BOOK</Cd>", "<Cd>PDNG</Cd>")
    body = _stmt(_bal("OPBD", "10.00"), _bal("CLBD", "11.00"), _ntry("1.00"), pending)
    parsed = parse(_doc(body), "t.xml")
    assert parsed.entries == 2


def test_v2_status_without_code_element() -> None:
    pending = _ntry("99.00").replace("<Sts><Cd>BOOK</Cd></Sts>", "<Sts>PDNG</Sts>")
    body = _stmt(_bal("OPBD", "10.00"), _bal("CLBD", "10.00"), pending)
    assert parse(_doc(body), "t.xml").entries == 1


def test_more_decimals_than_the_currency_allows_is_accepted_with_a_warning() -> None:
    body = _stmt(_bal("OPBD", "1.000"), _bal("CLBD", "11.125"), _ntry("10.125"))
    parsed = parse(_doc(body), "t.xml")
    assert _txns(parsed)[0]["amount"] == "10.125"  # kept, never rounded
    (warning,) = parsed.warnings
    assert "3 amount(s) carry more decimals" in warning
    assert "10.125 EUR" in warning


def test_zero_decimal_currency() -> None:
    body = _stmt(
        _bal("OPBD", "1000", ccy="JPY"),
        _bal("CLBD", "1500", ccy="JPY"),
        _ntry("500", ccy="JPY"),
        ccy="JPY",
    )
    parsed = parse(_doc(body), "t.xml")
    assert _txns(parsed)[0]["amount"] == "500"
    assert parsed.warnings == []
    jpy_cents = _doc(_stmt(_ntry("1.5", ccy="JPY"), ccy="JPY"))
    assert "more decimals" in parse(jpy_cents, "t.xml").warnings[0]


def test_batch_entry_stays_one_row_and_batch_totals_are_checked() -> None:
    def batch(total: str, count: str) -> str:
        details = "".join(
            f"<TxDtls><Refs><EndToEndId>E{i}</EndToEndId></Refs>"
            f'<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
            f"<RmtInf><Ustrd>part {i}</Ustrd></RmtInf></TxDtls>"
            for i, amount in enumerate(["10.00", "15.00"], start=1)
        )
        return (
            f"<NtryDtls><Btch><NbOfTxs>{count}</NbOfTxs>"
            f'<TtlAmt Ccy="EUR">{total}</TtlAmt></Btch>{details}</NtryDtls>'
        )

    parsed = parse(_doc(_stmt(_ntry("25.00", "DBIT", inner=batch("25.00", "2")))), "t.xml")
    (row,) = _txns(parsed)
    assert row["amount"] == "25.00"
    assert row["customer_reference"] == "E1; E2"
    assert row["description"] == "part 1 part 2"
    assert parsed.warnings == []
    counted = parse(_doc(_stmt(_ntry("25.00", "DBIT", inner=batch("25.00", "3")))), "t.xml")
    assert "NbOfTxs is 3 but 2 TxDtls are present" in counted.warnings[0]
    reason = _rejected(_doc(_stmt(_ntry("25.00", "DBIT", inner=batch("30.00", "2")))))
    assert "STMT-1" in reason
    assert "TtlAmt is 30.00 but its 2 TxDtls sum to 25.00" in reason


def test_batch_without_details_uses_batch_reference() -> None:
    inner = (
        "<NtryDtls><Btch><MsgId>NOTPROVIDED</MsgId><PmtInfId>PAYINF-7</PmtInfId>"
        "<NbOfTxs>8</NbOfTxs></Btch></NtryDtls>"
    )
    (row,) = _txns(parse(_doc(_stmt(_ntry("80.00", "DBIT", inner=inner))), "t.xml"))
    assert row["customer_reference"] == "PAYINF-7"


def _summary(count: int, total: str, net: str = "", v2: bool = False) -> str:
    if not net:
        net_xml = ""
    elif v2:
        net_xml = f"<TtlNetNtryAmt>{net}</TtlNetNtryAmt><CdtDbtInd>CRDT</CdtDbtInd>"
    else:
        net_xml = f"<TtlNetNtry><Amt>{net}</Amt><CdtDbtInd>CRDT</CdtDbtInd></TtlNetNtry>"
    return (
        f"<TxsSummry><TtlNtries><NbOfNtries>{count}</NbOfNtries><Sum>{total}</Sum>{net_xml}"
        f"</TtlNtries><TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>50.00</Sum></TtlCdtNtries>"
        f"<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>20.00</Sum></TtlDbtNtries></TxsSummry>"
    )


@pytest.mark.parametrize("v2", [False, True])
def test_transaction_summary(v2: bool) -> None:
    def document(summary: str) -> bytes:
        return _doc(_stmt(summary, _ntry("50.00", "CRDT"), _ntry("20.00", "DBIT")))

    assert parse(document(_summary(2, "70.00", "30.00", v2)), "t.xml").warnings == []
    counted = parse(document(_summary(3, "70.00", "30.00", v2)), "t.xml")
    assert "NbOfNtries is 3 but 2 entries are present" in counted.warnings[0]
    reason = _rejected(document(_summary(2, "71.00", "30.00", v2)))
    assert "TxsSummry/TtlNtries/Sum is 71.00 but the 2 entries present sum to 70.00" in reason
    reason = _rejected(document(_summary(2, "70.00", "40.00", v2)))
    assert "net amount is 40.00 but the entries present net to 30.00" in reason


def test_rows_are_numbered_in_one_sequence_across_statements() -> None:
    first = _stmt(_bal("OPBD", "0.00"), _ntry("1.00"), _bal("CLBD", "1.00"), stmt_id="A")
    second = _stmt(_bal("OPBD", "1.00"), _ntry("2.00"), stmt_id="B")
    parsed = parse(_doc(first, second), "t.xml")
    assert [(r.row_number, r.values["statement_id"]) for r in parsed.rows] == [
        (1, "A"),
        (2, "A"),
        (3, "A"),
        (4, "B"),
        (5, "B"),
    ]
    assert parsed.entries == 2
    assert parsed.totals["statements"] == "2"


def test_both_failing_statements_are_named() -> None:
    first = _stmt(_bal("OPBD", "0.00"), _bal("CLBD", "2.00"), _ntry("1.00"), stmt_id="A")
    second = _stmt(_bal("OPBD", "0.00"), _bal("CLBD", "3.00"), _ntry("1.00"), stmt_id="B")
    reason = _rejected(_doc(first, second))
    assert "statement A:" in reason
    assert "statement B:" in reason


def test_unusable_entry_is_quarantined() -> None:
    broken = "<Ntry><Amt>abc</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>"
    no_direction = '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>X</CdtDbtInd></Ntry>'
    parsed = parse(_doc(_stmt(_ntry("1.00"), broken, no_direction)), "t.xml")
    assert parsed.entries == 3
    assert len(parsed.rows) == 1
    assert [q.row_number for q in parsed.quarantine] == [2, 3]
    assert "no valid Amt" in parsed.quarantine[0].reason
    assert parsed.quarantine[0].raw.startswith("<Ntry")
    assert "<Amt>abc</Amt>" in parsed.quarantine[0].raw
    assert "CdtDbtInd must be CRDT or DBIT" in parsed.quarantine[1].reason
    assert parsed.rows_read == 3


def test_camt054_notification() -> None:
    parsed = parse(_notification(_ntry("3.00", "DBIT")), "n.xml")
    assert parsed.format == "camt054"
    assert _txns(parsed)[0]["statement_id"] == "STMT-1"


def test_statement_without_account_gives_a_warning() -> None:
    document = _doc("<Stmt><Id>X</Id></Stmt>")
    assert "names no account" in parse(document, "t.xml").warnings[0]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b"not xml at all", "not well-formed XML"),
        (b"%PDF-1.4\x00\x01\x02", "not well-formed XML"),
        (b"<html><body>login</body></html>", "not a camt.053/054 document"),
        (b"<Document><BkToCstmrAcctRpt/></Document>", "camt.052"),
        (b"<Document><CstmrCdtTrfInitn/></Document>", "pain.001"),
        (b"<Document><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>", "without any Stmt"),
        (b'<?xml version="1.0" encoding="bogus"?><a/>', "Unsupported encoding"),
    ],
)
def test_not_camt_is_rejected(data: bytes, fragment: str) -> None:
    assert fragment in _rejected(data)


def test_truncated_document_is_rejected() -> None:
    data = _simple_statement()
    assert "truncated" in _rejected(data[: len(data) // 2])


def test_mixed_statement_and_notification_is_rejected() -> None:
    data = (
        b"<Envelope><Document><BkToCstmrStmt><Stmt><Id>1</Id></Stmt></BkToCstmrStmt></Document>"
        b"<Document><BkToCstmrDbtCdtNtfctn><Ntfctn><Id>2</Id></Ntfctn></BkToCstmrDbtCdtNtfctn>"
        b"</Document></Envelope>"
    )
    assert "mixes camt.053 and camt.054" in _rejected(data)


def test_doctype_in_utf16_is_refused_after_parsing() -> None:
    document = (
        "<!DOCTYPE d><Document><BkToCstmrStmt><Stmt><Id>1</Id></Stmt></BkToCstmrStmt></Document>"
    )
    assert "DOCTYPE" in _rejected(document.encode("utf-16"))


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<Document><BkToCstmrStmt><Stmt><Id>&x;</Id></Stmt></BkToCstmrStmt></Document>"
    ).encode()
    reason = _rejected(xxe)
    assert "DOCTYPE" in reason
    assert "TOP-SECRET" not in reason


def test_entity_expansion_bomb_is_refused() -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    bomb = (
        f"<?xml version='1.0'?><!DOCTYPE d [{entities}]>"
        "<Document><BkToCstmrStmt><Stmt><Id>&i;</Id></Stmt></BkToCstmrStmt></Document>"
    ).encode()
    assert "DOCTYPE" in _rejected(bomb)


# ------------------------------------------------------------------------------ properties


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_result_or_a_rejection(data: bytes) -> None:
    assert_invariants(parse, data)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="<>/=\"' abcdeNtryBalAmtCcyStmtDocument0123456789.", max_size=500))
def test_random_xmlish_text_gives_a_result_or_a_rejection(text: str) -> None:
    assert_invariants(parse, text.encode())


def _sample_names() -> list[str]:
    return sorted(TIES) + sorted(REJECTED)


@needs_samples
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_sample_names()), st.floats(min_value=0, max_value=1))
def test_truncated_samples_give_a_result_or_a_rejection(name: str, cut: float) -> None:
    data = _sample(name)
    truncated = data[: int(len(data) * cut)]
    assert_invariants(parse, truncated)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@settings(max_examples=100, deadline=None)
@given(
    opening=st.decimals(min_value=Decimal("-5000"), max_value=Decimal("5000"), places=2),
    entries=st.lists(st.tuples(amounts, st.booleans()), max_size=12),
    error=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2),
)
def test_generated_statements_tie_or_are_rejected(
    opening: Decimal, entries: list[tuple[Decimal, bool]], error: Decimal
) -> None:
    closing = opening + sum((a if credit else -a for a, credit in entries), Decimal(0))

    def balance(code: str, value: Decimal) -> str:
        return _bal(code, str(abs(value)), "CRDT" if value >= 0 else "DBIT")

    rows = [_ntry(str(a), "CRDT" if credit else "DBIT") for a, credit in entries]
    parsed = parse(_doc(_stmt(balance("OPBD", opening), balance("CLBD", closing), *rows)), "g")
    assert parsed.entries == len(entries)
    assert [Decimal(t["amount"] or "") for t in _txns(parsed)] == [a for a, _ in entries]
    wrong = closing + error
    bad = _doc(_stmt(balance("OPBD", opening), balance("CLBD", wrong), *rows))
    reason = _rejected(bad)
    assert "STMT-1" in reason
    assert f"CLBD is {wrong:.2f}" in reason
