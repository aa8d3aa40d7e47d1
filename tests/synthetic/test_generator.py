"""The generator: same seed same bytes; the truth names every item of the feeds once."""

from __future__ import annotations

import csv
import functools
import hashlib
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lakehouse.bronze.formats import get_parser
from lakehouse.synthetic import generator
from lakehouse.synthetic.generator import generate

START = date(2026, 11, 2)
FORMATS = {
    "ledger": "ledger",
    "adyen": "adyen",
    "stripe": "stripe",
    "bai2": "bai2",
    "camt053": "camt053",
    "nacha": "nacha",
}
REASONS = {
    "MISSING_COUNTERPART",
    "AMOUNT_MISMATCH",
    "CURRENCY_MISMATCH",
    "FEE_VARIANCE",
    "DUPLICATE",
    "UNEXPECTED_BANK_ITEM",
    "RETURNED",
}


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feeds")
    generate(21, START, 5, 1500, root / "land", root / "truth")
    return root


def _truth(root: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    with (root / "truth" / "matches.csv").open(newline="") as fh:
        matches = list(csv.DictReader(fh))
    with (root / "truth" / "exceptions.csv").open(newline="") as fh:
        exceptions = list(csv.DictReader(fh))
    return matches, exceptions


@functools.cache
def _rows(root: Path, feed: str) -> list[dict[str, str | None]]:
    rows: list[dict[str, str | None]] = []
    for path in sorted((root / "land" / feed).iterdir()):
        if path.name.endswith(("_resend.csv", "_copy.xml")):
            continue  # re-deliveries of items already counted
        parsed = get_parser(FORMATS[feed])(path.read_bytes(), str(path))
        rows += parsed.rows_table().to_pylist()
    return rows


def test_same_seed_same_bytes_other_seed_other_bytes(feeds: Path, tmp_path: Path) -> None:
    generate(21, START, 5, 1500, tmp_path / "again" / "land", tmp_path / "again" / "truth")
    assert _hashes(tmp_path / "again") == _hashes(feeds)
    generate(22, START, 5, 1500, tmp_path / "other" / "land", tmp_path / "other" / "truth")
    other = _hashes(tmp_path / "other")
    assert other.keys() == _hashes(feeds).keys() and other != _hashes(feeds)


def test_every_reason_code_is_planted(feeds: Path) -> None:
    _, exceptions = _truth(feeds)
    assert {e["reason_code"] for e in exceptions} == REASONS
    legs = {(e["leg"], e["reason_code"]) for e in exceptions}
    assert ("ledger_bank", "MISSING_COUNTERPART") in legs
    assert ("ledger_partner", "MISSING_COUNTERPART") in legs


def test_truth_names_every_reconciled_item_exactly_once(feeds: Path) -> None:
    _assert_truth_names_every_item_once(feeds)


def test_a_day_drawn_in_slices_keeps_ids_unique_and_the_truth_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(generator, "SLICE", 64)
    generate(5, START, 4, 300, tmp_path / "land", tmp_path / "truth")
    ledger = [r for r in _rows(tmp_path, "ledger") if "BAD" not in str(r["entry_id"])]
    assert len({r["entry_id"] for r in ledger}) == len(ledger)
    refs = [r["external_ref"] for r in ledger if r["channel"] != "internal"]
    assert len(refs) - len(set(refs)) == sum(1 for r in ledger if "-9000" in str(r["entry_id"]))
    _assert_truth_names_every_item_once(tmp_path)


def _assert_truth_names_every_item_once(feeds: Path) -> None:
    matches, exceptions = _truth(feeds)
    named: Counter[str] = Counter()
    for m in matches:
        named.update(m["left_ids"].split(";") + m["right_ids"].split(";"))
    returned = {e["item_id"] for e in exceptions if e["reason_code"] == "RETURNED"}
    named.update(e["item_id"] for e in exceptions if e["reason_code"] != "RETURNED")

    ledger = [r for r in _rows(feeds, "ledger") if r["channel"] != "internal"]
    entries = {str(r["entry_id"]) for r in ledger if "BAD" not in str(r["entry_id"])}
    partner = {
        f"{p}:{r['psp_reference'] or 'batch-' + str(r['batch_id'])}:{r['record_type']}"
        for p in ("adyen", "stripe")
        for r in _rows(feeds, p)
    }
    bank = {str(r["bank_reference"]) for f in ("bai2", "camt053") for r in _rows(feeds, f)}
    bank = {ref for ref in bank if ref != "None"}
    traces = {str(r["bank_reference"]) for r in _rows(feeds, "nacha")}
    assert traces and traces <= returned
    assert {i for i in returned if i.startswith("LE-")} <= entries

    items = entries | partner | bank
    assert set(named) == items
    assert [i for i, n in named.items() if n != 1] == []


def test_matched_pairs_agree_on_amount(feeds: Path) -> None:
    matches, _ = _truth(feeds)
    amount = {str(r["entry_id"]): r["amount"] for r in _rows(feeds, "ledger")}
    gross = {
        f"{p}:{r['psp_reference']}:{r['record_type']}": r["gross_amount"]
        for p in ("adyen", "stripe")
        for r in _rows(feeds, p)
    }
    pairs = [m for m in matches if m["leg"] == "ledger_partner"]
    assert len(pairs) > 3000
    differ = [
        m
        for m in pairs
        if abs(Decimal(str(amount[m["left_ids"]]))) != abs(Decimal(str(gross[m["right_ids"]])))
    ]
    assert differ == []


@pytest.mark.parametrize(("days", "volume"), [(0, 10), (-1, 10), (2, 0), (2, -5)])
def test_impossible_arguments_are_refused(tmp_path: Path, days: int, volume: int) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        generate(1, START, days, volume, tmp_path)
    assert not any(tmp_path.iterdir())
