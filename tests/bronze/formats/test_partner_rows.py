"""Partner CSV rows (``partner_rows``): each Adyen row type mapped to the partner
columns, values kept as text, raw JSON, and rows quarantined with their reason."""

from __future__ import annotations

import json

from lakehouse.bronze.formats.base import PARTNER_COLUMNS
from tests.bronze.formats.partner_csv_builders import (
    ADYEN_LAYOUT_COLUMNS,
    BATCH_112,
    BATCH_113,
    adyen,
    amounts,
    replace_line,
)


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
