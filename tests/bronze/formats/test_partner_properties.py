"""Partner CSV parser properties: random bytes, noise after a valid header and generated
reports keep the parser's invariants."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats.partner_csv import format_decimal, parser_for
from tests.bronze.formats.invariants import assert_invariants
from tests.bronze.formats.partner_csv_builders import BATCH_112, MONEY, stripe


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
