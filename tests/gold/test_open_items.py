"""gold._open_items: the table the close is written to."""

from __future__ import annotations

from datetime import date, datetime

from lakehouse.gold import open_items
from lakehouse.gold.items import ITEM_COLUMNS
from lakehouse.gold.rules import load_legs

DAY = date(2026, 11, 2)
MARK = datetime(2026, 11, 2, 6, 0)


def test_fingerprint_follows_the_rules_and_the_window():
    legs = load_legs()
    assert open_items.fingerprint(legs, 21) == open_items.fingerprint(load_legs(), 21)
    assert open_items.fingerprint(legs, 21) != open_items.fingerprint(legs, 14)
    first = next(iter(legs))
    fewer = {k: v for k, v in legs.items() if k != first}
    assert open_items.fingerprint(fewer, 21) != open_items.fingerprint(legs, 21)


def test_schema_holds_every_item_column():
    assert [f.name for f in open_items.SCHEMA.fields][3 : 3 + len(ITEM_COLUMNS)] == list(
        ITEM_COLUMNS
    )
    assert open_items.SPEC.partition_by == ("as_of",)
