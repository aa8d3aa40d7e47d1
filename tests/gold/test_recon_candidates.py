"""gold.recon_candidates: nearest counterparts of open breaks, each test with both values."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from lakehouse.gold import recon_candidates
from lakehouse.gold.rules import load_legs
from tests.builders import ITEM_DATE as D
from tests.builders import leg_items

LEG = load_legs()["ledger_partner"]
AS_OF = date(2026, 11, 4)
# broadcast to the search (the usual day) or joined by the planner (a day of many breaks)
JOINS = pytest.mark.parametrize(
    "broadcast_max", [recon_candidates.BROADCAST_MAX, 0], ids=["broadcast", "planned"]
)


def _breaks(spark, *rows):
    items = leg_items(spark, *rows)
    return items.withColumn("side", F.lit("left")).withColumn(
        "match_id", F.lit(None).cast("string")
    )


@JOINS
def test_unmatched_breaks_get_their_nearest_candidates_or_say_none(
    spark, broadcast_max, monkeypatch
):
    monkeypatch.setattr(recon_candidates, "BROADCAST_MAX", broadcast_max)
    breaks = _breaks(
        spark,
        {"item_id": "L1", "reference": "RP-9", "amount": Decimal("100.00")},
        {"item_id": "L2", "reference": "RP-X", "amount": Decimal("999.00"), "currency": "USD"},
    )
    right = leg_items(
        spark,
        # same reference, 10.00 lower: fails the amount only
        {"item_id": "P1", "reference": "RP-9", "amount": Decimal("90.00")},
        # same amount and currency, other reference, a day later
        {
            "item_id": "P2",
            "reference": "RP-OTHER",
            "amount": Decimal("100.00"),
            "business_date": D + timedelta(days=1),
        },
        # another currency and reference: not near
        {"item_id": "P3", "reference": "RP-Q", "amount": Decimal("100.00"), "currency": "GBP"},
    )
    left = leg_items(spark)
    rows = recon_candidates.searched(LEG, breaks, left, right).collect()
    by_item = {}
    for row in rows:
        by_item.setdefault(row.item_id, []).append(row)
    first, second = sorted(by_item["L1"], key=lambda r: r["rank"])
    assert (first.candidate_id, first.rule, first.failed) == ("P1", "reference_and_amount", 1)
    failed = {c.name: (c.left, c.right, c.limit) for c in first.criteria if not c.passed}
    assert failed == {"amount": ("100.00", "90.00", "0.00")}
    assert first.score == 0.9
    # every fallback rule fails only the reference here: the first in order is named
    assert (second.candidate_id, second.rule) == ("P2", "reference_in_text")
    assert [c.name for c in second.criteria if not c.passed] == ["reference"]
    [alone] = by_item["L2"]
    assert (alone["rank"], alone.candidate_id, alone.criteria) == (1, None, None)


@JOINS
def test_members_of_a_match_have_its_counterpart_and_recorded_criteria(
    spark, broadcast_max, monkeypatch
):
    monkeypatch.setattr(recon_candidates, "BROADCAST_MAX", broadcast_max)
    members = spark.createDataFrame(
        [("L1", "left", "m1"), ("P1", "right", "m1")],
        "item_id string, side string, match_id string",
    )
    criteria = (
        "array(named_struct('name', 'amount', 'passed', false, 'left', '10.00', "
        "'right', '9.00', 'limit', '0.00'))"
    )
    matches = spark.createDataFrame(
        [("m1", "reference_with_break", ["L1"], ["P1"], 0.9)],
        "match_id string, rule string, left_ids array<string>, right_ids array<string>, "
        "confidence double",
    ).withColumn("criteria", F.expr(criteria))
    rows = {r.item_id: r for r in recon_candidates.from_matches(members, matches).collect()}
    assert (rows["L1"].candidate_id, rows["P1"].candidate_id) == ("P1", "L1")
    assert rows["L1"].failed == 1 and rows["L1"].rule == "reference_with_break"
