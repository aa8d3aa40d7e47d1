"""Partner CSV controls (``partner_controls``): rows that must tie (gross - fees = net,
FX) and batches or payouts that must net to zero."""

from __future__ import annotations

import csv
import dataclasses
from collections import defaultdict
from decimal import Decimal

import pytest

from lakehouse.bronze.formats.base import FileRejected
from lakehouse.bronze.formats.partner_csv import default_layouts, parse_with_layout
from tests.bronze.formats.partner_csv_builders import (
    BATCH_112,
    BATCH_113,
    STRIPE_ITEMIZED,
    STRIPE_LEGACY,
    adyen,
    rejected,
    replace_line,
    sample,
    stripe,
)


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
