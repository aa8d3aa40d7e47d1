"""Layout-driven partner CSV parser: Adyen settlement details (hand-written realistic
files, no real sample exists) and Stripe (the real samples in ../shared/samples)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats import get_parser
from lakehouse.bronze.formats.base import PARTNER_COLUMNS, FileRejected, ParsedFile
from lakehouse.bronze.formats.partner_csv import (
    DEFAULT_LAYOUTS_PATH,
    CsvLayout,
    default_layouts,
    detect_decimal_separator,
    format_decimal,
    layouts_at,
    load_layouts,
    parse_decimal,
    parse_with_layout,
    parser_for,
)
from lakehouse.errors import ConfigError
from tests.bronze.formats.invariants import assert_invariants, checked

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples"
STRIPE_ITEMIZED = SAMPLES / "stripe" / "banana_balance_summary_format1_20231010.csv"
STRIPE_LEGACY = SAMPLES / "stripe" / "banana_transactions_all_format1_20231004.csv"

# Settlement batch 112: header as in most real files (Booking Date present,
# Modification Merchant Reference before the Reserved columns). Split fees on the
# first row, commission only on the second, a refund, a chargeback, its fee and the
# payout that nets the batch to zero: 31.15 + 98.80 - 20.10 - 50.00 - 7.50 - 52.35 = 0.
ADYEN_BATCH_112 = """\
Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,\
Creation Date,TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),\
Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),\
Markup (NC),Scheme Fees (NC),Interchange (NC),Payment Method Variant,\
Modification Merchant Reference,Batch Number,Reserved4,Reserved5,Reserved6,Reserved7,\
Reserved8,Reserved9,Reserved10,Booking Date,Booking Date TimeZone
LendCo,LendCoEU,8515131751004933,LN-1001-R3,visa,2024-03-04 10:12:01,CET,Settled,\
8515131751004933,EUR,,31.45,1,EUR,,31.15,,0.16,0.05,0.09,visacredit,,112,,,,,,,,\
2024-03-05 06:00:00,CET
LendCo,LendCoEU,8515131751004941,LN-1002-R1,mc,2024-03-04 11:40:17,CET,Settled,\
8515131751004941,EUR,,100.00,1,EUR,,98.80,1.20,,,,mcdebit,,112,,,,,,,,2024-03-05 06:00:00,CET
LendCo,LendCoEU,8815131751005012,LN-0990-R7,visa,2024-03-04 12:02:55,CET,Refunded,\
8815131751005020,EUR,20.00,,1,EUR,20.10,,0.10,,,,visacredit,REF-0990,112,,,,,,,,\
2024-03-05 06:00:00,CET
LendCo,LendCoEU,8815131751005103,"LN-0950-R2, retry",mc,2024-03-04 15:30:00,CET,Chargeback,\
8815131751005111,EUR,50.00,,1,EUR,50.00,,,,,,mccredit,,112,,,,,,,,2024-03-05 06:00:00,CET
LendCo,LendCoEU,,,,2024-03-04 15:30:00,CET,Fee,,,,,,EUR,7.50,,,,,,,Chargeback fee,112,,,,,,,,\
2024-03-05 06:00:00,CET
LendCo,LendCoEU,,,,2024-03-05 06:00:00,CET,MerchantPayout,,,,,,EUR,52.35,,,,,,,,112,,,,,,,,\
2024-03-05 06:00:00,CET
"""

# Settlement batch 113: another column order (Batch Number and the net columns moved,
# Modification Merchant Reference after the Reserved columns), no Booking Date, a
# trailing empty header and trailing empty fields, and FX: gross in USD, net in EUR.
# 100.00 x 0.9215 - 1.10 = 91.05 exactly; 33.33 x 0.9215 - 0.40 = 30.313595 ~ 30.31.
ADYEN_BATCH_113_FX = """\
Batch Number,Type,Company Account,Merchant Account,Psp Reference,Merchant Reference,\
Payment Method,Creation Date,TimeZone,Modification Reference,Net Currency,Net Debit (NC),\
Net Credit (NC),Gross Currency,Gross Debit (GC),Gross Credit (GC),Exchange Rate,\
Commission (NC),Markup (NC),Scheme Fees (NC),Interchange (NC),Payment Method Variant,\
Reserved4,Reserved5,Reserved6,Reserved7,Reserved8,Reserved9,Reserved10,\
Modification Merchant Reference,
113,Settled,LendCo,LendCoUS,8515131751009001,LN-2001-R1,amex,2024-03-06 09:00:00,PST,\
8515131751009001,EUR,,91.05,USD,,100.00,0.9215,1.10,,,,amex,,,,,,,,,
113,Settled,LendCo,LendCoUS,8515131751009019,LN-2002-R1,visa,2024-03-06 09:05:00,PST,\
8515131751009019,EUR,,30.31,USD,,33.33,0.9215,,0.10,0.12,0.18,visa,,,,,,,,,
113,MerchantPayout,LendCo,LendCoUS,,,,2024-03-07 06:00:00,PST,,EUR,121.36,,,,,,,,,,,,,,,,,,,
"""

ADYEN_LAYOUT_COLUMNS = [
    "Company Account",
    "Merchant Account",
    "Psp Reference",
    "Merchant Reference",
    "Payment Method",
    "Creation Date",
    "TimeZone",
    "Type",
    "Modification Reference",
    "Gross Currency",
    "Gross Debit (GC)",
    "Gross Credit (GC)",
    "Exchange Rate",
    "Net Currency",
    "Net Debit (NC)",
    "Net Credit (NC)",
    "Commission (NC)",
    "Markup (NC)",
    "Scheme Fees (NC)",
    "Interchange (NC)",
    "Payment Method Variant",
    "Modification Merchant Reference",
    "Batch Number",
    "Reserved4",
    "Reserved5",
    "Reserved6",
    "Reserved7",
    "Reserved8",
    "Reserved9",
    "Reserved10",
    "Booking Date",
    "Booking Date TimeZone",
]


def adyen(text: str) -> ParsedFile:
    parse = checked(parser_for("adyen"))
    return parse(text.encode("utf-8"), "adyen/settlement_detail_report.csv")


def stripe(data: bytes) -> ParsedFile:
    return checked(parser_for("stripe"))(data, "stripe/report.csv")


def rejected(text: str) -> str:
    with pytest.raises(FileRejected) as info:
        adyen(text)
    return info.value.reason


def replace_line(text: str, index: int, old: str, new: str) -> str:
    """``text`` with ``old`` replaced by ``new`` in physical line ``index`` only."""
    lines = text.splitlines(keepends=True)
    assert old in lines[index], (old, lines[index])
    lines[index] = lines[index].replace(old, new, 1)
    return "".join(lines)


BATCH_112 = ADYEN_BATCH_112
BATCH_113 = ADYEN_BATCH_113_FX


def amounts(parsed: ParsedFile, field: str) -> list[str | None]:
    return [row.values[field] for row in parsed.records()]


def sample(path: Path) -> bytes:
    if not path.exists():
        pytest.skip(f"real samples not found at {SAMPLES} (../shared/samples)")
    return path.read_bytes()


# --------------------------------------------------------------------------- Adyen


def test_adyen_batch_maps_every_row_type() -> None:
    parsed = adyen(BATCH_112)
    assert parsed.format == "adyen"
    assert parsed.columns == PARTNER_COLUMNS
    assert [row.row_number for row in parsed.records()] == [1, 2, 3, 4, 5, 6]
    assert parsed.quarantine == []
    assert amounts(parsed, "record_type") == [
        "Settled",
        "Settled",
        "Refunded",
        "Chargeback",
        "Fee",
        "MerchantPayout",
    ]
    assert amounts(parsed, "gross_amount") == ["31.45", "100.00", "-20.00", "-50.00", None, None]
    assert amounts(parsed, "net_amount") == [
        "31.15",
        "98.80",
        "-20.10",
        "-50.00",
        "-7.50",
        "-52.35",
    ]
    assert amounts(parsed, "fee_amount") == ["0.30", "1.20", "0.10", None, None, None]
    assert amounts(parsed, "batch_id") == ["112"] * 6
    assert parsed.entries == 6
    assert parsed.accounts == ["LendCoEU"]
    assert parsed.currencies == ["EUR"]
    assert parsed.totals == {"fee:EUR": "1.60", "gross:EUR": "61.45", "net:EUR": "0.00"}
    assert parsed.warnings == []


def test_adyen_row_values_keep_text_and_split_fees() -> None:
    first, second, refund, chargeback = adyen(BATCH_112).records()[:4]
    assert first.values["commission"] is None  # blank when the fee is split
    assert (first.values["markup"], first.values["scheme_fees"], first.values["interchange"]) == (
        "0.16",
        "0.05",
        "0.09",
    )
    assert second.values["commission"] == "1.20"
    assert second.values["markup"] is None
    assert first.values["psp_reference"] == "8515131751004933"
    assert first.values["merchant_reference"] == "LN-1001-R3"
    assert first.values["booked_at"] == "2024-03-04 10:12:01"
    assert first.values["timezone"] == "CET"
    assert first.values["value_date"] == "2024-03-05"  # Booking Date, cut to the date
    assert first.values["exchange_rate"] == "1"
    assert first.values["payment_method"] == "visa"
    assert refund.values["modification_reference"] == "8815131751005020"
    assert chargeback.values["merchant_reference"] == "LN-0950-R2, retry"  # quoted comma


def test_adyen_raw_is_the_row_as_json() -> None:
    row = adyen(BATCH_112).records()[3]
    raw = json.loads(row.values["raw"] or "")
    assert raw["Merchant Reference"] == "LN-0950-R2, retry"
    assert raw["Type"] == "Chargeback"
    assert raw["Reserved10"] == ""
    assert len(raw) == len(ADYEN_LAYOUT_COLUMNS)


def test_adyen_other_column_order_without_booking_date_and_fx() -> None:
    parsed = adyen(BATCH_113)
    assert len(parsed.records()) == 3
    assert parsed.quarantine == []
    assert amounts(parsed, "gross_currency") == ["USD", "USD", None]
    assert amounts(parsed, "net_currency") == ["EUR", "EUR", "EUR"]
    assert amounts(parsed, "gross_amount") == ["100.00", "33.33", None]
    assert amounts(parsed, "net_amount") == ["91.05", "30.31", "-121.36"]
    assert amounts(parsed, "fee_amount") == ["1.10", "0.40", None]
    assert amounts(parsed, "exchange_rate") == ["0.9215", "0.9215", None]
    assert amounts(parsed, "value_date") == [None, None, None]  # no Booking Date column
    assert amounts(parsed, "batch_id") == ["113"] * 3
    assert parsed.currencies == ["EUR", "USD"]
    assert parsed.totals == {"fee:EUR": "1.50", "gross:USD": "133.33", "net:EUR": "0.00"}
    assert "Modification Merchant Reference" in json.loads(parsed.records()[0].values["raw"] or "")


def test_adyen_headers_match_ignoring_case_and_spaces() -> None:
    header, rest = BATCH_112.split("\n", 1)
    shouted = header.upper().replace("PSP REFERENCE", " psp  Reference ")
    parsed = adyen(shouted + "\n" + rest)
    assert amounts(parsed, "psp_reference")[0] == "8515131751004933"
    assert amounts(parsed, "net_amount")[0] == "31.15"


def test_adyen_layout_knows_every_documented_column() -> None:
    layout = default_layouts()["adyen"]
    assert set(ADYEN_LAYOUT_COLUMNS) <= set(layout.known_headers)
    header = BATCH_112.split("\n", 1)[0].split(",")
    assert header == ADYEN_LAYOUT_COLUMNS


def test_adyen_unknown_column_is_a_warning_and_kept_in_raw() -> None:
    lines = BATCH_112.splitlines()
    text = "\n".join([lines[0] + ",Acquirer Reference"] + [line + ",ARN-1" for line in lines[1:]])
    parsed = adyen(text)
    assert len(parsed.records()) == 6
    assert parsed.warnings == [
        "columns not in the adyen layout (kept in raw only): Acquirer Reference"
    ]
    assert json.loads(parsed.records()[0].values["raw"] or "")["Acquirer Reference"] == "ARN-1"


def test_adyen_row_that_does_not_tie_rejects_the_file() -> None:
    text = replace_line(BATCH_112, 2, ",98.80,1.20,", ",98.90,1.20,")
    text = replace_line(text, 6, ",52.35,", ",52.45,")  # keep the batch at zero
    reason = rejected(text)
    assert "row 2" in reason
    assert "8515131751004941" in reason
    assert "gross 100.00" in reason and "fees 1.20" in reason and "net 98.90" in reason


def test_adyen_refund_that_does_not_tie_rejects_the_file() -> None:
    text = replace_line(BATCH_112, 3, ",20.10,,0.10,", ",20.20,,0.10,")
    text = replace_line(text, 6, ",52.35,", ",52.25,")
    reason = rejected(text)
    assert "row 3" in reason and "8815131751005012" in reason and "net -20.20" in reason


def test_adyen_fx_row_off_by_more_than_a_cent_rejects_the_file() -> None:
    text = replace_line(BATCH_113, 2, ",30.31,", ",30.33,")
    text = replace_line(text, 3, ",121.36,", ",121.38,")
    reason = rejected(text)
    assert "row 2" in reason and "8515131751009019" in reason
    assert "exchange rate 0.9215" in reason and "net is 30.33 EUR" in reason


def test_adyen_fx_row_without_exchange_rate_is_quarantined() -> None:
    text = replace_line(BATCH_113, 2, ",0.9215,", ",,")
    parsed = adyen(text)
    assert [q.row_number for q in parsed.quarantine] == [2]
    assert "no positive exchange rate" in parsed.quarantine[0].reason
    assert parsed.warnings == ["batch net-zero check skipped: 1 rows quarantined"]


def test_adyen_batch_that_does_not_net_to_zero_rejects_the_file() -> None:
    reason = rejected(replace_line(BATCH_112, 6, ",52.35,", ",52.53,"))
    assert "batch 112 (EUR)" in reason
    assert "-0.18" in reason


def test_adyen_batch_without_payout_row_is_not_netted() -> None:
    without_payout = "".join(BATCH_112.splitlines(keepends=True)[:6])
    parsed = adyen(without_payout)
    assert parsed.totals["net:EUR"] == "52.35"


def test_adyen_two_batches_in_one_file_are_checked_separately() -> None:
    rows_113 = BATCH_113.splitlines()[1:]
    order = BATCH_113.splitlines()[0].split(",")
    target = BATCH_112.splitlines()[0].split(",")
    reordered = []
    for line in rows_113:
        cells = dict(zip(order, next(csv.reader([line])), strict=True))
        reordered.append(",".join(cells.get(name, "") for name in target))
    both = BATCH_112 + "\n".join(reordered) + "\n"
    parsed = adyen(both)
    assert len(parsed.records()) == 9
    assert parsed.accounts == ["LendCoEU", "LendCoUS"]
    broken = replace_line(both, 9, ",121.36,", ",121.35,")
    assert "batch 113 (EUR)" in rejected(broken)


def test_adyen_short_row_and_bad_amount_are_quarantined_and_counted() -> None:
    lines = BATCH_112.splitlines()
    lines[1] = lines[1].rsplit(",", 5)[0]  # short row
    lines[2] = lines[2].replace(",98.80,", ",98.8O,")  # letter O, not zero
    parsed = adyen("\n".join(lines) + "\n")
    assert [(q.row_number, q.reason) for q in parsed.quarantine] == [
        (1, "short row: 27 fields, the header has 32"),
        (2, "Net Credit (NC) '98.8O' is not a decimal amount"),
    ]
    assert parsed.quarantine[1].raw == lines[2]
    assert [row.row_number for row in parsed.records()] == [3, 4, 5, 6]
    assert parsed.rows_read == parsed.entries == 6
    assert parsed.warnings == ["batch net-zero check skipped: 2 rows quarantined"]


def test_adyen_row_with_extra_values_is_quarantined() -> None:
    text = replace_line(BATCH_112, 1, "2024-03-05 06:00:00,CET", "2024-03-05 06:00:00,CET,oops")
    parsed = adyen(text)
    assert parsed.quarantine[0].row_number == 1
    assert "33 fields with values" in parsed.quarantine[0].reason


def test_adyen_row_without_net_amount_is_quarantined() -> None:
    text = replace_line(BATCH_112, 5, "EUR,7.50,", "EUR,,")
    parsed = adyen(text)
    assert [(q.row_number, q.reason) for q in parsed.quarantine] == [(5, "no value for net_amount")]


def test_adyen_missing_required_column_rejects_the_file() -> None:
    header, rest = BATCH_112.split("\n", 1)
    reason = rejected(header.replace("Batch Number", "Batch") + "\n" + rest)
    assert "no column for batch_id" in reason and "'Batch Number'" in reason


def test_adyen_credit_without_debit_column_rejects_the_file() -> None:
    header, rest = BATCH_112.split("\n", 1)
    reason = rejected(header.replace("Net Debit (NC)", "Net Debit") + "\n" + rest)
    assert "'Net Credit (NC)' is present" in reason and "'Net Debit (NC)'" in reason


def test_adyen_repeated_mapped_header_rejects_the_file() -> None:
    header, rest = BATCH_112.split("\n", 1)
    reason = rejected(header.replace("Reserved4", "Type") + "\n" + rest)
    assert "'Type' appears more than once" in reason


def test_rejection_names_the_path() -> None:
    with pytest.raises(FileRejected) as info:
        parser_for("adyen")(b"", "landing/adyen/x.csv")
    assert info.value.path == "landing/adyen/x.csv"
    assert str(info.value).startswith("landing/adyen/x.csv: ")


# ------------------------------------------------------------------- bytes and CSV


def test_bom_crlf_and_empty_lines() -> None:
    lines = BATCH_112.splitlines()
    text = "\r\n".join([lines[0], "", *lines[1:3], "", "", *lines[3:]]) + "\r\n\r\n"
    parsed = parser_for("adyen")(b"\xef\xbb\xbf" + text.encode(), "x.csv")
    assert [row.row_number for row in parsed.records()] == [1, 2, 3, 4, 5, 6]
    assert parsed.records()[0].values["psp_reference"] == "8515131751004933"
    assert "Company Account" in json.loads(parsed.records()[0].values["raw"] or "")
    assert parsed.warnings == ["4 empty lines skipped"]


def test_cp1252_file_is_read_with_a_warning() -> None:
    text = replace_line(BATCH_112, 1, "LN-1001-R3", "Prêt-1001 – Müller")
    parsed = parser_for("adyen")(text.encode("cp1252"), "x.csv")
    assert parsed.records()[0].values["merchant_reference"] == "Prêt-1001 – Müller"
    assert parsed.warnings[0].startswith("not UTF-8")


def test_oversized_cell_quarantines_its_row_on_both_paths() -> None:
    huge = "R" * (200 * 1024)
    text = replace_line(BATCH_112, 1, "LN-1001-R3", huge)
    layout = default_layouts()["adyen"]
    for column_wise in (True, False):
        parsed = parse_with_layout(text.encode(), "x.csv", layout, column_wise=column_wise)
        assert parsed.table is None  # the row path decided
        (bad,) = parsed.quarantine
        assert (bad.row_number, huge in bad.raw) == (1, True)
        assert bad.reason.endswith("characters, more than the 131072 a field may have")
        assert [row.row_number for row in parsed.records()] == [2, 3, 4, 5, 6]


def test_bytes_neither_utf8_nor_cp1252_are_read_as_latin1_with_a_warning() -> None:
    text = replace_line(BATCH_112, 1, "LN-1001-R3", "LN-1001-\x81")
    parsed = parser_for("adyen")(text.encode("latin-1"), "x.csv")
    assert parsed.records()[0].values["merchant_reference"] == "LN-1001-\x81"
    assert parsed.warnings[0].endswith("; read as latin-1")


def test_header_only_file_has_no_rows() -> None:
    parsed = adyen(BATCH_112.splitlines()[0] + "\n")
    assert (parsed.records(), parsed.quarantine, parsed.entries) == ([], [], 0)


def test_empty_file_is_rejected() -> None:
    assert "no CSV header" in rejected("\n\n")


def test_not_a_report_is_rejected() -> None:
    assert "not in the adyen layout: no column for" in rejected("hello,world\n1,2\n")


# ------------------------------------------------------------------ Stripe (real samples)


def test_stripe_itemized_report_sample() -> None:
    parsed = stripe(sample(STRIPE_ITEMIZED))
    assert (len(parsed.records()), parsed.quarantine, parsed.entries) == (12, [], 12)
    assert parsed.currencies == ["tes"]  # scrambled by the anonymiser; silver validates
    first, charge = parsed.records()[0], parsed.records()[6]
    assert first.values["psp_reference"] == "txn_1Noh05Kh5QAlWt1C76QBqatA"
    assert first.values["record_type"] == "risk_reserved_funds"
    assert first.values["batch_id"] == "po_1Nzr7YKh5QAlWt1CBKvGMVAL"
    assert first.values["booked_at"] == "2023-09-10 08:20:04"
    assert first.values["timezone"] is None  # "created" is in the report's own zone
    assert first.values["value_date"] == "2023-10-13"
    assert (charge.values["gross_amount"], charge.values["fee_amount"]) == ("100.00", "5.00")
    assert charge.values["net_amount"] == "95.00"
    assert amounts(parsed, "batch_id")[-3:] == [None, None, None]  # not paid out yet
    assert parsed.totals == {"fee:tes": "21.38", "gross:tes": "712.57", "net:tes": "691.19"}
    assert parsed.warnings == []


def test_stripe_legacy_balance_history_sample_with_comma_decimals() -> None:
    parsed = stripe(sample(STRIPE_LEGACY))
    assert (len(parsed.records()), parsed.quarantine, parsed.entries) == (18, [], 18)
    assert parsed.currencies == ["por"]
    payout = parsed.records()[0].values
    assert payout["record_type"] == "payout"
    assert payout["gross_amount"] == "-75.57"  # written "-75,57"
    assert payout["batch_id"] == "po_1NxKblKh5QAlWt1CrSJXaMdA"  # the Transfer column
    assert payout["modification_reference"] == "po_1NxKblKh5QAlWt1CrSJXaMdA"  # Source
    assert payout["timezone"] == "UTC"  # implied by "Created (UTC)"
    assert payout["booked_at"] == "2023-10-04 02:14"
    charge = parsed.records()[1].values
    assert (charge["gross_amount"], charge["fee_amount"], charge["net_amount"]) == (
        "104.13",
        "3.37",
        "100.76",
    )
    raw = json.loads(charge["raw"] or "")
    assert raw["Amount"] == "104,13" and raw["donorbox_city (metadata)"] == "Recestem"
    assert parsed.warnings == []


@pytest.mark.parametrize("path", [STRIPE_ITEMIZED, STRIPE_LEGACY], ids=lambda p: p.name)
def test_stripe_samples_tie_on_every_row(path: Path) -> None:
    for row in stripe(sample(path)).records():
        gross, fee, net = (
            Decimal(row.values[f] or "") for f in ("gross_amount", "fee_amount", "net_amount")
        )
        assert gross - fee == net, row.row_number


def test_stripe_legacy_sample_nets_to_zero_per_payout_when_configured() -> None:
    # Not enabled in conf/partners.toml (a date-ranged export may hold a payout without
    # all of its transactions), but the layout switch works on the real file.
    layout = dataclasses.replace(default_layouts()["stripe"], payout_types=("payout",))
    parsed = parse_with_layout(sample(STRIPE_LEGACY), "x.csv", layout)
    per_payout: dict[str | None, Decimal] = defaultdict(Decimal)
    for row in parsed.records():
        per_payout[row.values["batch_id"]] += Decimal(row.values["net_amount"] or "0")
    assert len([batch for batch in per_payout if batch]) == 5
    assert all(total == 0 for batch, total in per_payout.items() if batch)


def test_stripe_row_that_does_not_tie_rejects_the_file() -> None:
    data = sample(STRIPE_ITEMIZED).replace(b'"311.82","8.67","303.15"', b'"311.82","8.67","303.16"')
    with pytest.raises(FileRejected) as info:
        stripe(data)
    assert "row 8 (psp reference txn_3NyzC9Kh5QAlWt1C0rnawqnl)" in info.value.reason
    assert "gross 311.82 - fees 8.67 != net 303.16" in info.value.reason


def test_stripe_via_registry() -> None:
    assert len(get_parser("stripe")(sample(STRIPE_ITEMIZED), "x.csv").records()) == 12


# ----------------------------------------------------------------------- decimals


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("-75,57", ",", "-75.57"),
        ("1.234,50", ",", "1234.50"),
        ("1,234.50", ".", "1234.50"),
        (" 12.00 ", ".", "12.00"),
        ("+5", ".", "5"),
        ("1 234,5", ",", "1234.5"),
        ("0", ".", "0"),
        ("-0,00", ",", "0.00"),
    ],
)
def test_parse_decimal(text: str, separator: str, expected: str) -> None:
    assert format_decimal(parse_decimal(text, separator)) == expected


@pytest.mark.parametrize("text", ["", "1.2.3", "12,34", "1e5", "NaN", "--1", "12.", "1" * 25])
def test_parse_decimal_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(text, ".")


def test_parse_decimal_without_grouping() -> None:
    with pytest.raises(ValueError):
        parse_decimal("1,234.50", ".", grouping=False)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["-75,57", "0,00", "3,37"], ","),
        (["1.50", "0.00"], "."),
        (["1,234.56", "1,000"], "."),
        (["1.234,56"], ","),
        (["100", "1,000"], "."),  # undecidable -> '.'
        ([], "."),
    ],
)
def test_detect_decimal_separator(cells: list[str], expected: str) -> None:
    assert detect_decimal_separator(cells)[0] == expected


def test_mixed_decimal_separators_warn_and_quarantine_the_odd_rows() -> None:
    text = replace_line(BATCH_112, 2, ",98.80,1.20,", ',"98,80","1,20",')
    parsed = adyen(text)
    assert [q.row_number for q in parsed.quarantine] == [2]
    assert any("both '.'" in warning for warning in parsed.warnings)


# ------------------------------------------------------------------- configuration


MINIMAL_LAYOUT = """
[layouts.acme]
required = ["psp_reference", "net_amount"]
[layouts.acme.headers]
psp_reference = ["Ref"]
net_currency = ["Ccy"]
gross_currency = ["Ccy"]
[layouts.acme.amounts]
gross_amount = { column = ["Gross"] }
fee_amount = { column = ["Fee"] }
net_amount = { column = ["Net"] }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partners.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_new_partner_is_only_a_toml_table(tmp_path: Path) -> None:
    with_delimiter = MINIMAL_LAYOUT.replace(
        "[layouts.acme.headers]", 'delimiter = ";"\n[layouts.acme.headers]'
    )
    layout = load_layouts(write(tmp_path, with_delimiter))["acme"]
    data = b"Net;Ref;Gross;Fee;Ccy\n9,50;A-1;10,00;0,50;CHF\n"
    parsed = parse_with_layout(data, "acme.csv", layout)
    assert parsed.format == "acme"
    assert parsed.records()[0].values["net_amount"] == "9.50"
    assert parsed.records()[0].values["psp_reference"] == "A-1"
    assert parsed.records()[0].values["gross_currency"] == "CHF"


def test_default_layouts_file_is_the_repository_conf() -> None:
    assert DEFAULT_LAYOUTS_PATH == REPO_ROOT / "conf" / "partners.toml"
    layouts = load_layouts(DEFAULT_LAYOUTS_PATH)
    assert {"adyen", "stripe"} <= set(layouts)
    assert all(isinstance(layout, CsvLayout) for layout in layouts.values())
    assert layouts["adyen"].payout_types == ("MerchantPayout",)
    assert layouts["adyen"].fx_tolerance == Decimal("0.01")


def test_layouts_are_loaded_once() -> None:
    parser_for("adyen")
    before = layouts_at.cache_info().misses
    parser_for("stripe")
    parser_for("adyen")
    assert layouts_at.cache_info().misses == before


def test_unknown_layout_name() -> None:
    with pytest.raises(ConfigError, match=r"no \[layouts.paypal\] table; known layouts: adyen"):
        parser_for("paypal")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[layouts.acme]", "[layouts.acme]\ncolour = 1"), "[layouts.acme] key 'colour'"),
        (("[layouts.acme]", "[layouts.acme]\nrow_tolerance = 0.01"), "key 'row_tolerance'"),
        (("[layouts.acme]", '[layouts.acme]\ndecimal_separator = ";"'), "'decimal_separator'"),
        (("[layouts.acme]", '[layouts.acme]\ncontrol = "maybe"'), "key 'control'"),
        (("[layouts.acme]", '[layouts.acme]\ndelimiter = "ab"'), "key 'delimiter'"),
        (("[layouts.acme]", "[layouts.acme]\npayout_types = [1]"), "key 'payout_types'"),
        (('psp_reference = ["Ref"]', 'psp_ref = ["Ref"]'), "[layouts.acme.headers] key 'psp_ref'"),
        (('psp_reference = ["Ref"]', 'psp_reference = "Ref"\nnet_amount = ["N"]'), "both"),
        (('fee_amount = { column = ["Fee"] }', 'fee_amount = { sum = ["markup"] }'), "'markup'"),
        (('fee_amount = { column = ["Fee"] }', 'fee_amount = { credit = ["F"] }'), "exactly one"),
        (('fee_amount = { column = ["Fee"] }', ""), "needs an [amounts] rule for 'fee_amount'"),
        (('required = ["psp_reference", "net_amount"]', 'required = ["batch_id"]'), "'batch_id'"),
        (('required = ["psp_reference", "net_amount"]', 'required = ["nope"]'), "'nope'"),
        (("[layouts.acme]", "[layouts.acme]\ndetect = [[]]"), "key 'detect'"),
        (("[layouts.acme]", "[layouts.Acme]"), "layout names are lower-case"),
    ],
)
def test_bad_layout_names_file_and_key(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = write(tmp_path, MINIMAL_LAYOUT.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_layouts(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("layouts = [", "not valid TOML"),
        ("", "no [layouts.<name>] table"),
        ("[other]\n", "unknown top-level key 'other'"),
        ("layouts = 3\n", "no [layouts.<name>] table"),
    ],
)
def test_bad_layout_file(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[")) as info:
        load_layouts(path)
    assert str(path) in str(info.value)


def test_missing_layout_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read partner layouts"):
        load_layouts(tmp_path / "nope.toml")


# ------------------------------------------------------------------------ properties


@pytest.mark.parametrize("name", ["adyen", "stripe"])
@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2000))
def test_random_bytes_parse_or_reject(name: str, data: bytes) -> None:
    assert_invariants(parser_for(name), data)


CSV_NOISE = st.text(alphabet=st.sampled_from(list('0123456789.,-"ab \r\n\t')), max_size=400)


@pytest.mark.parametrize(
    "header",
    [
        BATCH_112.split("\n", 1)[0],
        "gross,fee,net,currency,balance_transaction_id,reporting_category",
    ],
)
@settings(max_examples=200, deadline=None)
@given(body=CSV_NOISE)
def test_noise_after_a_valid_header_keeps_row_accounting(header: str, body: str) -> None:
    name = "adyen" if "Psp" in header else "stripe"
    assert_invariants(parser_for(name), (header + "\n" + body).encode())


MONEY = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.tuples(MONEY, MONEY), min_size=1, max_size=20),
    comma=st.booleans(),
)
def test_generated_stripe_reports_round_trip(
    rows: list[tuple[Decimal, Decimal]], comma: bool
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["balance_transaction_id", "reporting_category", "currency", "gross", "fee", "net"]
    )

    def show(value: Decimal) -> str:
        text = format_decimal(value)
        return text.replace(".", ",") if comma else text

    for number, (gross, fee) in enumerate(rows):
        writer.writerow(
            [f"txn_{number}", "charge", "usd", show(gross), show(fee), show(gross - fee)]
        )
    parsed = stripe(buffer.getvalue().encode())
    assert parsed.quarantine == []
    for row, (gross, fee) in zip(parsed.records(), rows, strict=True):
        assert Decimal(row.values["gross_amount"] or "") == gross
        assert Decimal(row.values["fee_amount"] or "") == fee
        assert Decimal(row.values["net_amount"] or "") == gross - fee


# ------------------------------------------------------------------ column-wise parse


def both_ways(name: str | CsvLayout, data: bytes) -> tuple[ParsedFile | str, ParsedFile | str]:
    """The column-wise and the row-by-row outcome (a rejection as its reason)."""
    layout = default_layouts()[name] if isinstance(name, str) else name
    outcomes: list[ParsedFile | str] = []
    for column_wise in (True, False):
        try:
            outcomes.append(parse_with_layout(data, "x.csv", layout, column_wise=column_wise))
        except FileRejected as exc:
            outcomes.append(exc.reason)
    return outcomes[0], outcomes[1]


def assert_same_outcome(fast: ParsedFile | str, reference: ParsedFile | str) -> None:
    if isinstance(fast, str) or isinstance(reference, str):
        assert fast == reference
        return
    assert reference.table is None
    assert fast.records() == reference.records()
    assert fast.rows_table().equals(reference.rows_table())
    assert fast.quarantine == reference.quarantine
    assert (fast.entries, fast.accounts, fast.currencies) == (
        reference.entries,
        reference.accounts,
        reference.currencies,
    )
    assert (fast.totals, fast.warnings) == (reference.totals, reference.warnings)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("adyen", BATCH_112),
        ("adyen", BATCH_113),
        ("adyen", BATCH_112.replace("\n", "\r\n")),
    ],
)
def test_a_clean_report_is_parsed_column_wise_with_the_same_outcome(name: str, text: str) -> None:
    fast, reference = both_ways(name, text.encode())
    assert isinstance(fast, ParsedFile) and fast.table is not None
    assert_same_outcome(fast, reference)


@pytest.mark.parametrize("path", [STRIPE_ITEMIZED, STRIPE_LEGACY])
def test_stripe_samples_are_parsed_column_wise_with_the_same_outcome(path: Path) -> None:
    fast, reference = both_ways("stripe", sample(path))
    assert isinstance(fast, ParsedFile) and fast.table is not None
    assert_same_outcome(fast, reference)


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (",31.45,", ",31.4x,", "an amount that is not a decimal"),
        (",2024-03-05 06:00:00,CET\n", "\n", "a short row"),
        ("06:00:00,CET\n", "06:00:00,CET,x\n", "a value past the header"),
        (",31.15,", ",31.16,", "a row that does not tie"),
    ],
)
def test_an_unusual_report_takes_the_row_parser(old: str, new: str, why: str) -> None:
    fast, reference = both_ways("adyen", replace_line(BATCH_112, 1, old, new).encode())
    assert isinstance(fast, str) or fast.table is None, why
    assert_same_outcome(fast, reference)


def test_raw_escapes_quotes_and_control_characters_column_wise() -> None:
    text = replace_line(BATCH_112, 1, "visa,2024", 'vi"s\\a\t,2024')
    fast, reference = both_ways("adyen", text.encode())
    assert isinstance(fast, ParsedFile) and fast.table is not None
    assert json.loads(fast.records()[0].values["raw"] or "")["Payment Method"] == 'vi"s\\a\t'
    assert_same_outcome(fast, reference)


ADYEN_HEADER = (
    "Merchant Account,Psp Reference,Merchant Reference,Type,Batch Number,Gross Currency,"
    "Gross Debit (GC),Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),"
    "Net Credit (NC),Commission (NC),Markup (NC),Booking Date"
)
# Odd cells (padding, a comma, not a number, a missing type) are drawn rarely enough
# that about half the files are clean and take the column-wise parse.
_CELL_AMOUNT = st.sampled_from(
    ["", "1.00", "0.50", "10", "-0.00", "0.1", "7.125"] * 8 + ["1,5", " 2.25", "x"]
)
_ADYEN_ROW = st.tuples(
    st.sampled_from(["LendCoEU", "LendCoUS", " LendCoEU ", ""]),
    st.sampled_from(["psp1", "psp2", "", 'q"uote', "back\\slash", "tab\there"]),
    st.sampled_from(["LN-1", "LN-2, retry", "Prêt – Müller", ""]),
    st.sampled_from(["Settled", "Refunded", "MerchantPayout", "Fee"] * 8 + [""]),
    st.sampled_from(["112", "113", ""]),
    st.sampled_from(["EUR", "USD", "eur", ""]),
    _CELL_AMOUNT,
    _CELL_AMOUNT,
    st.sampled_from(["", "1", "0.9215", "0", "2"]),
    st.sampled_from(["EUR", "USD", ""]),
    _CELL_AMOUNT,
    _CELL_AMOUNT,
    _CELL_AMOUNT,
    _CELL_AMOUNT,
    st.sampled_from(["2024-03-05 06:00:00", "2024-03-05", "", "not a date"]),
)


# Without the controls most random files pass, so the comparison covers every value.
_UNCONTROLLED = dataclasses.replace(
    default_layouts()["adyen"], control="none", payout_types=(), name="adyen_unchecked"
)


@pytest.mark.parametrize("layout", [default_layouts()["adyen"], _UNCONTROLLED], ids=str)
@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(_ADYEN_ROW, min_size=1, max_size=8),
    extra=st.sampled_from(["", ",", ",x"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_column_wise_parse_agrees_with_the_row_parser(
    layout: CsvLayout, rows: list[tuple[str, ...]], extra: str, newline: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(ADYEN_HEADER.split(","))
    for row in rows:
        writer.writerow(row)
    lines = buffer.getvalue().split(newline)
    lines[1] += extra  # trailing fields on the first data row: blank or not
    fast, reference = both_ways(layout, newline.join(lines).encode())
    assert_same_outcome(fast, reference)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(MONEY, MONEY), min_size=1, max_size=10))
def test_tied_adyen_rows_are_parsed_column_wise(rows: list[tuple[Decimal, Decimal]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ADYEN_HEADER.split(","))
    for number, (gross, fee) in enumerate(rows):
        fee = abs(fee)
        credit = ["", format_decimal(gross)] if gross >= 0 else [format_decimal(-gross), ""]
        net = gross - fee
        net_cells = ["", format_decimal(net)] if net >= 0 else [format_decimal(-net), ""]
        head = ["LendCoEU", f"psp{number}", f"LN-{number}", "Settled", "112", "EUR"]
        writer.writerow(
            [*head, *credit, "1", "EUR", *net_cells, format_decimal(fee), "", "2024-03-05"]
        )
    fast, reference = both_ways("adyen", buffer.getvalue().encode())
    assert isinstance(fast, ParsedFile) and fast.table is not None
    assert_same_outcome(fast, reference)
