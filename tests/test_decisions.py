"""Recording decisions: checked against gold when recorded, many in one file, exact money."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from lakehouse.bronze.formats.manual_decisions import parse
from lakehouse.decisions import (
    Decision,
    DecisionError,
    next_run_time,
    parse_amount,
    record_decision,
    record_decisions,
)
from lakehouse.gold import recon_items
from tests.tiny_gold import item, write

AT = datetime(2026, 11, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def gold(settings) -> Path:
    root = Path(settings.storage.root)
    rows = [
        item("ledger_bank", "LE-1", "left"),
        item("ledger_bank", "BK-1", "right"),
        item("ledger_partner", "LE-2", "left", state="MATCHED", _closed_as_of=date(2026, 11, 4)),
    ]
    write(root, recon_items.SPEC, rows, date(2026, 11, 4))
    return root


def _landed(where: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in Path(where).read_text().splitlines()]


def test_many_decisions_land_in_one_file_the_parser_accepts(settings, gold):
    decisions = [
        Decision("assign", "ledger_bank", "assigned to bob", "alice", item_id="LE-1", owner="bob"),
        Decision("comment", "ledger_bank", "asked the bank", "alice", item_id="BK-1"),
        Decision(
            "adjust", "ledger_bank", "fx rounding", "alice", item_id="LE-1", amount=Decimal("-1.5")
        ),
        Decision("match", "ledger_bank", "same payment", "alice", ("LE-1",), ("BK-1",)),
    ]
    records, where = record_decisions(settings, decisions, decided_at=AT)
    assert Path(where).name.startswith("decision_2026-11-05_MD-")
    landed = _landed(where)
    assert landed == records and len(landed) == 4
    assert landed[2]["amount"] == "-1.50"  # money as an exact decimal string
    assert landed[0]["owner"] == "bob" and landed[0]["decided_at"] == "2026-11-05T09:30:00+00:00"
    parsed = parse(Path(where).read_bytes(), where)
    assert parsed.quarantine == [] and len(parsed.rows) == 4
    assert parsed.rows[2].values["amount"] == "-1.50"


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (
            Decision("write_off", "ledger_bank", "gone", "alice", item_id="LE-404"),
            "write-off: LE-404 is not an item of leg ledger_bank in gold.recon_items "
            "(2026-11-04); check the ids with `lakehouse queue`, or pass --force",
        ),
        (
            Decision("match", "ledger_bank", "x", "alice", ("BK-1",), ("LE-1",)),
            "match: BK-1 is a right item of ledger_bank; give it as --right; "
            "LE-1 is a left item of ledger_bank; give it as --left",
        ),
        (
            Decision("assign", "ledger_bank", "x", "alice", item_id="LE-2", owner="bob"),
            "assign: LE-2 is not an item of leg ledger_bank",
        ),
    ],
)
def test_items_gold_does_not_hold_as_given_are_refused_and_nothing_lands(
    settings, gold, decision, message
):
    with pytest.raises(DecisionError) as error:
        record_decisions(settings, [decision], decided_at=AT)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert not (Path(settings.storage.landing) / "manual_decisions").exists()


def test_force_records_an_item_not_arrived_yet(settings, gold):
    record, where = record_decision(
        settings, "write_off", "ledger_bank", reason="late", user="a", item_id="LE-9", force=True
    )
    assert _landed(where) == [record]


def test_no_gold_yet_is_refused_without_force(settings):
    with pytest.raises(DecisionError, match="LE-1 is not an item of leg ledger_bank in gold;"):
        record_decision(settings, "write_off", "ledger_bank", reason="x", user="a", item_id="LE-1")


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision("assign", "ledger_bank", "x", "a", item_id="LE-1"), "assign needs --owner"),
        (Decision("adjust", "ledger_bank", "x", "a", item_id="LE-1"), "adjust needs --amount"),
        (
            Decision("status", "ledger_bank", "x", "a", item_id="LE-1", status="RESOLVED"),
            "status 'RESOLVED' is not one of OPEN, ASSIGNED, PENDING_RESOLUTION",
        ),
        (Decision("comment", "ledger_bank", " ", "a", item_id="LE-1"), "needs --reason and --user"),
        (Decision("write_off", "nowhere", "x", "a", item_id="LE-1"), "--leg 'nowhere' is not one"),
        (Decision("match", "ledger_bank", "x", "a", ("LE-1",)), "needs --left and --right"),
        (Decision("write_off", "ledger_bank", "x", "a", item_id="A,B"), "without spaces or commas"),
    ],
)
def test_incomplete_decisions_name_the_field(settings, gold, decision, message):
    with pytest.raises(DecisionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        record_decisions(settings, [decision], decided_at=AT)


@pytest.mark.parametrize(
    ("text", "expected"), [("12.3", Decimal("12.30")), ("-0.01", Decimal("-0.01"))]
)
def test_amounts_are_exact(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["1.005", "abc", "0", "NaN", "1e20", ""])
def test_bad_amounts_are_refused(text):
    with pytest.raises(DecisionError, match="--amount"):
        parse_amount(text)


def test_decisions_take_effect_the_day_after_the_last_run(settings, gold):
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert next_run_time(settings, now) == datetime(2026, 11, 5, 15, 0, tzinfo=UTC)


def test_without_gold_decisions_take_effect_today(settings):
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert next_run_time(settings, now) == now
