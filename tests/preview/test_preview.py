"""A rule preview on a small generated lakehouse (three days, 60 ledger events a day).

Identical rules give an empty diff; a tolerance of 1.00 on ``ledger_partner`` turns the
generator's 1.00 amount breaks into new matches and precision falls against the
truth; gold's versions and content are the same after every preview; the scratch
gold is kept, listed and dropped, or removed with ``--cleanup``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakehouse.config import CONF_DIR, Settings, load_settings
from lakehouse.readers import open_delta, read_table
from lakehouse.storage import locate

START = date(2026, 11, 2)
DAYS = 3
LAST = START + timedelta(days=DAYS - 1)
GOLD = ("recon_matches", "recon_items", "recon_exceptions", "aging", "daily_summary", "_open_items")
SILVER = ("ledger_entries", "partner_settlements", "bank_transactions")
RULES = (CONF_DIR / "rules.toml").read_text()
STRICT = "tolerance_abs = 0.00\ntolerance_pct = 0.0\ncurrency = true"


@dataclass(frozen=True)
class Lake:
    settings: Settings
    truth: Path
    base: Path

    @property
    def root(self) -> str:
        return self.settings.storage.root


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory) -> Lake:  # type: ignore[no-untyped-def]
    from lakehouse.pipeline import run_day
    from lakehouse.synthetic.generator import generate

    base = tmp_path_factory.mktemp("preview")
    env = dict(os.environ, LAKEHOUSE_ROOT=str(base / "lake"), LAKEHOUSE_LANDING=str(base / "land"))
    settings = load_settings(env=env)
    generate(11, START, DAYS, 60, base / "land", base / "truth")
    for i in range(DAYS):
        run_day(START + timedelta(days=i), settings, spark)
    return Lake(settings, base / "truth", base)


def _books(root: str) -> dict[str, Any]:
    """Every gold and silver table's version and business rows: what must not change."""
    found: dict[str, Any] = {}
    for layer, names in (("gold", GOLD), ("silver", SILVER)):
        for name in names:
            table = open_delta(locate(root, f"{layer}.{name}"))
            assert table is not None, name
            frame = table.to_pandas()
            columns = sorted(c for c in frame.columns if not c.startswith("_") or c == "_as_of")
            rows = sorted(tuple(str(v) for v in row) for row in frame[columns].itertuples(False))
            found[f"{layer}.{name}"] = (table.version(), rows)
    return found


def _rules(lake: Lake, name: str, text: str) -> Path:
    path = lake.base / name
    path.write_text(text)
    return path


def test_identical_rules_give_an_empty_diff_and_leave_gold_as_it_was(spark, lake) -> None:  # type: ignore[no-untyped-def]
    from lakehouse.preview.run import Request, run_preview
    from lakehouse.preview.scratch import listed

    before = _books(lake.root)
    said: list[str] = []
    rules = _rules(lake, "same.toml", RULES)
    request = Request(rules, START + timedelta(days=1), LAST)
    doc = run_preview(request, lake.settings, spark, said.append)

    assert _books(lake.root) == before
    assert doc["unchanged"], json.dumps(doc["total"])
    assert set(doc["legs"]) == {"ledger_partner", "partner_bank", "ledger_bank"}
    for leg in (*doc["legs"].values(), doc["total"]):
        assert (leg["new_matches"], leg["lost_matches"], leg["changed_matches"]) == (0, 0, 0)
        assert leg["state_changes"] == {} and leg["open_before"] == leg["open_after"]
    assert doc["total"]["open_before"] > 0  # the generator's breaks are there, unchanged
    assert doc["examples"] == []
    assert [d["silver"] for d in doc["days"]] == ["recorded", "recorded"]
    assert any("preview day 2/2" in line for line in said)
    # the scratch gold is kept under <root>/_preview/<id> and listed
    assert doc["preview"]["kept"] and doc["preview"]["scratch"].startswith(lake.root)
    assert [i for i, _ in listed(lake.settings)] == [doc["preview"]["id"]]
    scratch_items = read_table("gold.recon_items", root=doc["preview"]["scratch"])
    assert len(scratch_items) == len(read_table("gold.recon_items", root=lake.root))


def _amount_breaks(lake: Lake, since: date) -> int:
    """PARTIAL ledger_partner pairs made since ``since`` that are off by at most 1.00."""
    matches = read_table("gold.recon_matches", root=lake.root)
    breaks = matches[
        (matches.leg == "ledger_partner")
        & (matches.reason_code == "AMOUNT_MISMATCH")
        & (matches.matched_as_of.map(lambda d: str(d)[:10]) >= since.isoformat())
    ]
    return sum(1 for d in breaks.difference if abs(Decimal(d)) <= Decimal("1.00"))


def test_a_loosened_tolerance_shows_the_amount_breaks_as_new_matches(
    spark, lake, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from lakehouse import cli

    before = _books(lake.root)
    loose = RULES.replace(STRICT, STRICT.replace("0.00", "1.00"), 1)
    assert loose != RULES
    rules = _rules(lake, "loose.toml", loose)
    expected = _amount_breaks(lake, START)
    assert expected >= DAYS  # the generator plants one a day at least
    html = lake.base / "diff.html"
    monkeypatch.setenv("LAKEHOUSE_ROOT", lake.root)
    monkeypatch.setenv("LAKEHOUSE_LANDING", str(lake.base / "land"))
    days = ["--start", START.isoformat(), "--end", LAST.isoformat()]
    argv = ["preview", "--rules", str(rules), *days]
    with pytest.raises(SystemExit) as done:
        cli.main([*argv, "--truth", str(lake.truth), "--json", "--html", str(html), "--cleanup"])
    out, err = capsys.readouterr()
    assert done.value.code == 0, err
    doc = json.loads(out)

    assert _books(lake.root) == before
    # the contract
    assert {"rules", "start", "end", "legs", "truth", "examples"} <= set(doc)
    assert (doc["rules"], doc["start"], doc["end"]) == (str(rules), "2026-11-02", "2026-11-04")
    leg = doc["legs"]["ledger_partner"]
    assert {
        "new_matches", "lost_matches", "changed_matches", "state_changes", "open_before",
        "open_after",
    } <= set(leg)  # fmt: skip
    assert (leg["new_matches"], leg["lost_matches"], leg["changed_matches"]) == (expected, 0, 0)
    assert leg["state_changes"] == {"PARTIAL/AMOUNT_MISMATCH->MATCHED": 2 * expected}
    assert leg["open_after"] == leg["open_before"] - 2 * expected
    for other in ("partner_bank", "ledger_bank"):
        assert doc["legs"][other]["state_changes"] == {}, other
    amounts = leg["state_change_amounts"]["PARTIAL/AMOUNT_MISMATCH->MATCHED"]
    assert all(isinstance(v, str) and Decimal(v) > 0 for v in amounts.values())
    # precision falls against the truth: the pairs are planted breaks, not matches
    truth = doc["truth"]
    assert truth["before"]["precision"] == 1.0
    assert truth["after"]["precision"] < truth["before"]["precision"]
    assert truth["after"]["matches"]["precision"] < 1.0
    new = [e for e in doc["examples"] if e["kind"] == "new_match"]
    assert len(new) == min(expected, 20)
    for example in new:
        assert example["state_before"] == "PARTIAL/AMOUNT_MISMATCH"
        assert example["match_after"]["rule"] == "reference_and_amount"
        assert example["explanation"]["after"]["state"] == "MATCHED"
        assert example["explanation"]["before"]["state"] == "PARTIAL"
    page = html.read_text()
    assert "Rule preview of" in page and "http://" not in page
    # --cleanup: nothing left under <root>/_preview but the earlier kept preview
    assert doc["preview"]["kept"] is False
    assert not Path(doc["preview"]["scratch"]).exists()
