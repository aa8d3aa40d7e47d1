"""Layout-driven partner CSV parser (``partner_csv``) on the real Stripe samples in
../shared/samples and through the feed-format registry."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from lakehouse.bronze.formats import get_parser
from tests.bronze.formats.partner_csv_builders import (
    STRIPE_ITEMIZED,
    STRIPE_LEGACY,
    amounts,
    sample,
    stripe,
)


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


def test_stripe_via_registry() -> None:
    assert len(get_parser("stripe")(sample(STRIPE_ITEMIZED), "x.csv").records()) == 12
