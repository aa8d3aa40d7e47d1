"""Each rule type, strategy and tie-break of the matcher, on hand-made items."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from lakehouse.gold.matching import match_leg
from lakehouse.gold.rules import Leg, Rule
from tests.builders import leg_items as items

EXACT = Rule(
    name="exact",
    strategy="one_to_one",
    equal=(("reference", "reference"),),
    reference="equals",
    date_min=0,
    date_max=5,
)


def leg(*rules: Rule) -> Leg:
    return Leg(
        name="ledger_partner",
        description="",
        left="ledger",
        right="partner",
        left_filter="true",
        right_filter="true",
        pending_days=1,
        rules=rules,
    )


def pairs(result) -> set[tuple[tuple[str, ...], tuple[str, ...], str, str | None]]:
    return {
        (tuple(m.left_ids), tuple(m.right_ids), m.status, m.reason_code)
        for m in result.matches.collect()
    }


def test_one_to_one_on_reference_and_amount(spark):
    left = items(spark, {"item_id": "L1", "reference": "R1"}, {"item_id": "L2", "reference": "R2"})
    right = items(
        spark,
        {"item_id": "P1", "reference": "r1"},
        {"item_id": "P2", "reference": "R2", "amount": Decimal("10.01")},
    )
    result = match_leg(leg(EXACT), left, right)
    assert pairs(result) == {(("L1",), ("P1",), "MATCHED", None)}
    assert [r.item_id for r in result.left_unmatched.collect()] == ["L2"]


def test_tolerance_absolute_and_percent(spark):
    left = items(spark, {"item_id": "L1", "reference": "R1", "amount": Decimal("1000.00")})
    right = items(spark, {"item_id": "P1", "reference": "R1", "amount": Decimal("1004.00")})
    assert pairs(match_leg(leg(replace(EXACT, tolerance_abs=5.0)), left, right))
    assert pairs(match_leg(leg(replace(EXACT, tolerance_pct=0.5)), left, right))
    assert not pairs(match_leg(leg(replace(EXACT, tolerance_pct=0.3)), left, right))


def test_date_window_has_a_direction(spark):
    left = items(spark, {"item_id": "L1", "reference": "R1"})
    before = items(spark, {"item_id": "P1", "reference": "R1", "business_date": date(2026, 11, 1)})
    assert not pairs(match_leg(leg(EXACT), left, before))
    assert pairs(match_leg(leg(replace(EXACT, date_min=-1)), left, before))


def test_best_score_then_date_distance_then_id(spark):
    left = items(spark, {"item_id": "L1", "reference": "R1"})
    right = items(
        spark,
        {"item_id": "P3", "reference": "R1", "business_date": date(2026, 11, 4)},
        {"item_id": "P2", "reference": "R1", "business_date": date(2026, 11, 3)},
        {"item_id": "P1", "reference": "R1", "business_date": date(2026, 11, 3)},
    )
    assert pairs(match_leg(leg(EXACT), left, right)) == {(("L1",), ("P1",), "MATCHED", None)}


def test_each_item_in_at_most_one_match_second_round_takes_runner_up(spark):
    left = items(spark, {"item_id": "L1", "reference": "R"}, {"item_id": "L2", "reference": "R"})
    right = items(
        spark,
        {"item_id": "P1", "reference": "R"},
        {"item_id": "P2", "reference": "R", "business_date": date(2026, 11, 3)},
    )
    result = pairs(match_leg(leg(EXACT), left, right))
    assert result == {(("L1",), ("P1",), "MATCHED", None), (("L2",), ("P2",), "MATCHED", None)}


def test_contains_reference_is_token_based(spark):
    rule = Rule(
        name="contains",
        strategy="one_to_one",
        equal=(),
        reference="contains",
        date_min=0,
        date_max=3,
    )
    left = items(spark, {"item_id": "B1000", "reference": "1000"})
    right = items(
        spark,
        {"item_id": "X", "text": "ADYEN BATCH 10001"},
        {"item_id": "Y", "text": "ADYEN-BATCH 1000 PAYOUT"},
    )
    assert pairs(match_leg(leg(rule), left, right)) == {(("B1000",), ("Y",), "MATCHED", None)}


def test_similarity_threshold(spark):
    rule = Rule(
        name="sim",
        strategy="one_to_one",
        equal=(),
        reference="similarity",
        similarity=0.8,
        date_min=0,
        date_max=3,
    )
    left = items(spark, {"item_id": "L1", "reference": "INV-2026-00123"})
    right = items(
        spark,
        {"item_id": "P1", "reference": "INV 2026 00123"},
        {"item_id": "P2", "reference": "SOMETHING ELSE"},
    )
    assert pairs(match_leg(leg(rule), left, right)) == {(("L1",), ("P1",), "MATCHED", None)}


def test_many_to_one_by_group_key(spark):
    rule = Rule(
        name="batch",
        strategy="many_to_one",
        equal=(("group_key", "reference"),),
        reference="none",
        date_min=0,
        date_max=3,
        group_key="regexp_extract(reference, '^(B-[0-9]+)/', 1)",
    )
    left = items(
        spark,
        {"item_id": "L1", "reference": "B-7/1", "amount": Decimal("1.50")},
        {"item_id": "L2", "reference": "B-7/2", "amount": Decimal("2.50")},
        {"item_id": "L3", "reference": "B-8/1", "amount": Decimal("9.00")},
    )
    right = items(spark, {"item_id": "BANK", "reference": "B-7", "amount": Decimal("4.00")})
    assert pairs(match_leg(leg(rule), left, right)) == {(("L1", "L2"), ("BANK",), "MATCHED", None)}


def test_one_to_many_by_group_key(spark):
    rule = Rule(
        name="split",
        strategy="one_to_many",
        equal=(("reference", "group_key"),),
        reference="none",
        date_min=0,
        date_max=3,
        group_key="reference",
    )
    left = items(spark, {"item_id": "L1", "reference": "R", "amount": Decimal("5.00")})
    right = items(
        spark,
        {"item_id": "P1", "reference": "R", "amount": Decimal("2.00")},
        {"item_id": "P2", "reference": "R", "amount": Decimal("3.00")},
    )
    assert pairs(match_leg(leg(rule), left, right)) == {(("L1",), ("P1", "P2"), "MATCHED", None)}


def test_partial_rule_gives_reason_and_fee_variance(spark):
    partial = replace(EXACT, name="break", outcome="PARTIAL", currency=False)
    fee_rule = replace(EXACT, max_fee_pct=5.0)
    left = items(
        spark,
        {"item_id": "L1", "reference": "A"},
        {"item_id": "L2", "reference": "B"},
        {"item_id": "L3", "reference": "C"},
    )
    right = items(
        spark,
        {"item_id": "P1", "reference": "A", "amount": Decimal("9.00")},
        {"item_id": "P2", "reference": "B", "currency": "USD"},
        {"item_id": "P3", "reference": "C", "fee": Decimal("0.90")},
    )
    assert pairs(match_leg(leg(fee_rule, partial), left, right)) == {
        (("L1",), ("P1",), "PARTIAL", "AMOUNT_MISMATCH"),
        (("L2",), ("P2",), "PARTIAL", "CURRENCY_MISMATCH"),
        (("L3",), ("P3",), "PARTIAL", "FEE_VARIANCE"),
    }


def test_first_rule_in_order_decides(spark):
    partial = replace(EXACT, name="break", outcome="PARTIAL")
    left = items(spark, {"item_id": "L1", "reference": "A"})
    right = items(spark, {"item_id": "P1", "reference": "A"})
    rules = {m.rule for m in match_leg(leg(EXACT, partial), left, right).matches.collect()}
    assert rules == {"exact"}


def test_forbidden_pair_is_not_matched(spark):
    left = items(spark, {"item_id": "L1", "reference": "A"})
    right = items(spark, {"item_id": "P1", "reference": "A"}, {"item_id": "P2", "reference": "A"})
    forbidden = spark.createDataFrame([("L1", "P1")], "left_id string, right_id string")
    assert pairs(match_leg(leg(EXACT), left, right, forbidden)) == {
        (("L1",), ("P2",), "MATCHED", None)
    }
