"""Noise in generated feeds: only reference text changes, the truth never does."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lakehouse.bronze.formats import get_parser
from lakehouse.synthetic.generator import generate
from lakehouse.synthetic.noise import NoiseSpec
from tests.synthetic.promises import PROMISES

START = date(2026, 11, 2)
FORMATS = {"adyen": "adyen", "stripe": "stripe", "bai2": "bai2", "camt053": "camt053"}
NOISY = {"merchant_reference", "description", "customer_reference", "raw"}


def _generate(root: Path, noise: Any) -> Path:
    generate(4, START, 4, 300, root / "land", root / "truth", noise=noise)
    return root


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory.mktemp("clean"), None)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = NoiseSpec.parse("all=0.12,narrative=1")
    return _generate(tmp_path_factory.mktemp("noisy"), spec)


def _files(root: Path) -> dict[str, bytes]:
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in paths}


def _rows(root: Path, feed: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted((root / "land" / feed).iterdir()):
        parsed = get_parser(FORMATS[feed])(path.read_bytes(), str(path))
        assert parsed.quarantine == [] and parsed.warnings == [], path
        rows += [{"file": path.name, **r} for r in parsed.rows_table().to_pylist()]
    return rows


def test_noise_changes_no_truth_no_ledger_no_file_names(clean: Path, noisy: Path) -> None:
    before, after = _files(clean), _files(noisy)
    assert sorted(before) == sorted(after)
    untouched = [n for n in before if n.startswith(("truth/", "land/ledger/", "land/nacha/"))]
    assert any(n.startswith("land/nacha/") for n in untouched)
    assert {n: after[n] for n in untouched} == {n: before[n] for n in untouched}


@pytest.mark.parametrize("feed", sorted(FORMATS))
def test_noise_changes_only_reference_text_and_every_row_still_parses(
    clean: Path, noisy: Path, feed: str
) -> None:
    before, after = _rows(clean, feed), _rows(noisy, feed)
    assert len(before) == len(after)

    def fixed(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k not in NOISY}

    assert [fixed(r) for r in after] == [fixed(r) for r in before]


def test_partner_references_are_noised_at_the_rate_and_keep_a_promise(
    clean: Path, noisy: Path
) -> None:
    pairs = []
    for feed, field in (("adyen", "merchant_reference"), ("stripe", "description")):
        for was, now in zip(_rows(clean, feed), _rows(noisy, feed), strict=True):
            if was["record_type"] not in ("MerchantPayout", "payout"):
                pairs.append((was[field], now[field] or ""))
    changed = [(v, r) for r, v in pairs if v != r]
    # 6 kinds at 12 %; pad is trimmed by the parsers, so 5 of 6 show after parsing
    assert abs(len(changed) / len(pairs) - 0.6) < 0.06, (len(changed), len(pairs))
    assert [(v, r) for v, r in changed if not any(k(v, r) for k in PROMISES.values())] == []


def test_disbursement_references_are_noised_and_the_narrative_keeps_the_reference(
    clean: Path, noisy: Path
) -> None:
    changed = total = 0
    for feed in ("bai2", "camt053"):
        for was, now in zip(_rows(clean, feed), _rows(noisy, feed), strict=True):
            ref = was["customer_reference"] or ""
            if not ref.startswith("DS-"):
                continue
            total += 1
            value = now["customer_reference"] or ""
            assert now["description"] == was["description"] and ref in was["description"]
            if value != ref:
                changed += 1
                assert any(keeps(value, ref) for keeps in PROMISES.values()), (value, ref)
    # 5 kinds at 12 %, pad trimmed by the parsers: about 48 %
    assert total > 100 and abs(changed / total - 0.48) < 0.1, (changed, total)


def test_every_payout_bank_line_gets_a_reformatted_narrative(clean: Path, noisy: Path) -> None:
    seen = 0
    for feed in ("bai2", "camt053"):
        for was, now in zip(_rows(clean, feed), _rows(noisy, feed), strict=True):
            text = was["description"] or ""
            if not re.search("ADYEN|STRIPE", text):
                continue
            seen += 1
            assert now["customer_reference"] is None and now["description"] != text
            assert re.search("ADYEN|STRIPE", now["description"].upper())
            if "ADYEN" in text:
                batch = text.split()[-2]
                assert [int(d) for d in re.findall("[0-9]+", now["description"])] == [int(batch)]
            else:
                hex16 = was["customer_reference"].removeprefix("po_")
                assert hex16 in now["description"].lower()
    assert seen >= 6


def test_no_noise_or_zero_rates_write_the_same_bytes(clean: Path, tmp_path: Path) -> None:
    zero = _generate(tmp_path / "zero", "typo=0")
    empty = _generate(tmp_path / "empty", {})
    assert _files(zero) == _files(clean) == _files(empty)


def test_same_seed_and_noise_write_the_same_bytes(noisy: Path, tmp_path: Path) -> None:
    again = _generate(tmp_path, NoiseSpec.parse("all=0.12,narrative=1"))
    assert _files(again) == _files(noisy)
