"""NACHA returns reverse the match of the entry they name (lakehouse.gold.returns)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from chispa import assert_df_equality

from lakehouse.errors import ConfigError
from lakehouse.gold.matching import MATCH_COLUMNS, match_id
from lakehouse.gold.returns import reversal_matches
from lakehouse.gold.rules import Returns, load_legs
from tests.builders import ITEM_DATE as D
from tests.builders import leg_items

RETURNS = Returns(name="nacha_return", filter="reversal", date_min=0, date_max=20)
AMOUNT = Decimal("120.00")


def ledger(spark, *rows):
    return leg_items(spark, *({"amount": AMOUNT, "currency": "USD", **r} for r in rows))


def returned(spark, *rows):
    base = {"amount": -AMOUNT, "currency": "USD", "business_date": D + timedelta(days=3)}
    return leg_items(spark, *({**base, **r} for r in rows))


def expected(spark, pairs: list[tuple[str, str, date]]):
    from pyspark.sql import functions as F

    rows = [(left, right, day) for left, right, day in pairs]
    df = spark.createDataFrame(rows, "left_id string, right_id string, business_date date")
    left_ids, right_ids = F.array("left_id"), F.array("right_id")
    return df.select(
        match_id(F.lit("ledger_bank"), left_ids, right_ids).alias("match_id"),
        F.lit("ledger_bank").alias("leg"),
        F.lit("nacha_return").alias("rule"),
        F.lit("reversal").alias("strategy"),
        F.lit("REVERSED").alias("status"),
        F.lit("RETURNED").alias("reason_code"),
        left_ids.alias("left_ids"),
        right_ids.alias("right_ids"),
        F.lit(AMOUNT).cast("decimal(18,2)").alias("left_amount"),
        F.lit(-AMOUNT).cast("decimal(18,2)").alias("right_amount"),
        F.lit(Decimal("0.00")).cast("decimal(18,2)").alias("difference"),
        F.lit("USD").alias("currency"),
        F.lit(1.0).alias("confidence"),
        "business_date",
    ).select(*[c for c in MATCH_COLUMNS if c != "criteria"])


def test_a_return_reverses_the_entry_with_its_reference_and_opposite_amount(spark):
    left = ledger(
        spark,
        {"item_id": "L1", "reference": "A261102/0000001"},
        {"item_id": "L2", "reference": "A261102/0000002"},
    )
    right = returned(spark, {"item_id": "R1", "reference": "a261102/0000001 "})
    got = reversal_matches("ledger_bank", RETURNS, left, right)
    want = expected(spark, [("L1", "R1", D + timedelta(days=3))])
    assert_df_equality(got.drop("criteria"), want, ignore_nullable=True, ignore_row_order=True)
    [row] = got.collect()
    tests = {c.name: (c.passed, c.left, c.right, c.limit) for c in row.criteria}
    assert tests == {
        "keys": (True, "A261102/0000001", "a261102/0000001 ", "reference = reference"),
        "date": (True, str(D), str(D + timedelta(days=3)), "0..20 days"),
        "amount": (True, "120.00", "-120.00", "opposite"),
        "currency": (True, "USD", "USD", "equal"),
    }


def test_no_reversal_for_other_amount_currency_or_outside_the_window(spark):
    left = ledger(
        spark,
        {"item_id": "L1", "reference": "X1"},
        {"item_id": "L2", "reference": "X2"},
        {"item_id": "L3", "reference": "X3"},
        {"item_id": "L4", "reference": "X4", "business_date": D + timedelta(days=5)},
    )
    right = returned(
        spark,
        {"item_id": "R1", "reference": "X1", "amount": -AMOUNT + 1},
        {"item_id": "R2", "reference": "X2", "currency": "EUR"},
        {"item_id": "R3", "reference": "X3", "business_date": D + timedelta(days=21)},
        {"item_id": "R4", "reference": "X4"},  # a return dated before its entry
    )
    assert reversal_matches("ledger_bank", RETURNS, left, right).count() == 0


def test_each_side_reverses_at_most_once_nearest_date_then_id(spark):
    left = ledger(
        spark,
        {"item_id": "L1", "reference": "X1"},
        {"item_id": "L0", "reference": "X1", "business_date": D + timedelta(days=1)},
    )
    right = returned(
        spark,
        {"item_id": "R2", "reference": "X1"},
        {"item_id": "R1", "reference": "X1"},
    )
    got = reversal_matches("ledger_bank", RETURNS, left, right)
    # both returns prefer L0 (nearer) and L0 takes the lower id; R2 then reverses L1
    want = expected(
        spark, [("L0", "R1", D + timedelta(days=3)), ("L1", "R2", D + timedelta(days=3))]
    )
    assert_df_equality(got.drop("criteria"), want, ignore_nullable=True, ignore_row_order=True)


def test_returns_section_is_loaded_and_validated(tmp_path):
    legs = load_legs()
    assert legs["ledger_bank"].returns == Returns(
        name="nacha_return",
        filter="reversal AND return_reason LIKE 'R%'",
        date_min=0,
        date_max=20,
        reason_code="RETURNED",
    )
    assert legs["ledger_partner"].returns is None
    rules = tmp_path / "rules.toml"
    base = (
        '[legs.ledger_bank]\nleft = "ledger"\nright = "bank"\n'
        '[[legs.ledger_bank.rules]]\nname = "r"\nstrategy = "one_to_one"\n'
        'equal = [["reference", "reference"]]\nreference = "none"\ndate_min = 0\ndate_max = 1\n'
    )
    rules.write_text(base + '[legs.ledger_bank.returns]\nname = "x"\nfilter = "true"\nlag = 3\n')
    with pytest.raises(ConfigError, match=r"returns\]: unknown keys \['lag'\]"):
        load_legs(rules)
    rules.write_text(base + '[legs.ledger_bank.returns]\nname = "x"\n')
    with pytest.raises(ConfigError, match="set name and filter"):
        load_legs(rules)
