"""The generator's NACHA return writer produces files our own parser accepts as real."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from lakehouse.bronze.formats import nacha
from lakehouse.synthetic.generator import generate
from lakehouse.synthetic.writers import AchReturn, nacha_returns


def _return(i: int, amount: str, reason: str = "R01") -> AchReturn:
    return AchReturn(
        individual_id=f"A261102/{i:07d}",
        name=f"BORROWER {i}",
        amount=Decimal(amount),
        reason=reason,
        original_trace=f"12100024{i:07d}",
        trace=f"12100024{100 + i:07d}",
        rdfi_routing="091000019",
        account=f"{i:012d}",
    )


def test_nacha_return_file_ties_and_parses_to_returned_debits():
    data = nacha_returns(
        [_return(1, "120.50"), _return(2, "99.99", "R10")],
        datetime(2026, 11, 5, 6, 0),
        date(2026, 11, 5),
        "121000248",
        "1234567890",
        "LENDERCO",
    )
    lines = data.decode().splitlines()
    assert len(lines) == 10 and all(len(line) == 94 for line in lines)
    parsed = nacha.parse(data, "ach_returns.ach")
    assert parsed.warnings == []
    assert parsed.totals == {"credits": "0.00", "debits": "220.49", "entry_hash": "0018200002"}
    fields = ("customer_reference", "amount", "credit_debit")
    fields += ("return_reason", "reversal", "booking_date")
    got = [tuple(r.values[f] for f in fields) for r in parsed.rows]
    assert got == [
        ("A261102/0000001", "120.50", "DBIT", "R01", "true", "2026-11-05"),
        ("A261102/0000002", "99.99", "DBIT", "R10", "true", "2026-11-05"),
    ]


def test_a_reference_longer_than_the_individual_id_field_is_refused():
    too_long = AchReturn("A261102/00000001", "X", Decimal(1), "R01", "1", "2", "091000019", "1")
    with pytest.raises(ValueError, match="longer than 15"):
        nacha_returns([too_long], datetime(2026, 11, 5), date(2026, 11, 5), "121000248", "1", "L")


def test_generator_plants_a_return_and_its_truth(tmp_path):
    feeds = generate(4, date(2026, 11, 2), 4, 60, tmp_path / "land", tmp_path / "truth")
    returns = sorted((tmp_path / "land" / "nacha").glob("ach_returns_*.ach"))
    assert returns, "the first ACH batch that can see its return gets one"
    rows = [row for path in returns for row in nacha.parse(path.read_bytes(), str(path)).rows]
    truth = (tmp_path / "truth" / "exceptions.csv").read_text().splitlines()
    returned = {line.split(",")[1] for line in truth if line.endswith(",RETURNED")}
    traces = {r.values["bank_reference"] for r in rows}
    assert traces <= returned
    entries = {e["entry_id"]: e for d in feeds.days for e in _ledger(tmp_path, d)}
    named = {e["external_ref"] for i, e in entries.items() if i in returned}
    assert named == {r.values["customer_reference"] for r in rows}


def _ledger(root, day: date) -> list[dict[str, str]]:
    import csv

    path = root / "land" / "ledger" / f"ledger_{day:%Y-%m-%d}.csv"
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))
