"""The column-wise parse of partner CSV files (``partner_columns``) agrees with the row
parser, and unusual files take the row path."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats.base import FileRejected, ParsedFile
from lakehouse.bronze.formats.partner_csv import (
    CsvLayout,
    default_layouts,
    format_decimal,
    parse_with_layout,
)
from tests.bronze.formats.partner_csv_builders import (
    BATCH_112,
    BATCH_113,
    MONEY,
    STRIPE_ITEMIZED,
    STRIPE_LEGACY,
    replace_line,
    sample,
)


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
