from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from chispa import assert_df_equality

from lakehouse.silver import ledger_entries
from tests.builders import bronze_ledger


def test_types_amounts_as_decimal_and_business_date(spark):
    bronze = bronze_ledger(spark, {"amount": " -12.50 ", "currency": "eur", "event_type": "Refund"})
    row = ledger_entries.transform(bronze).collect()[0]
    assert row.amount == Decimal("-12.50")
    assert row.currency == "EUR"
    assert row.event_type == "refund"
    assert row.business_date == date(2026, 11, 2)
    assert ledger_entries.transform(bronze).schema["amount"].dataType.typeName() == "decimal"


def test_naive_timestamps_are_local_to_the_feed_zone_across_dst(spark):
    # 2026-03-29 is the EU spring-forward day: 01:30 is CET (+1), 03:30 is CEST (+2).
    bronze = bronze_ledger(
        spark,
        {"entry_id": "a", "created_at": "2026-03-29 01:30:00", "effective_date": "2026-03-29"},
        {"entry_id": "b", "created_at": "2026-03-29 03:30:00", "effective_date": "2026-03-29"},
        {"entry_id": "c", "created_at": "2026-03-29T03:30:00Z", "effective_date": "2026-03-29"},
    )
    out = ledger_entries.transform(bronze, "Europe/Amsterdam").select("entry_id", "created_at")
    expected = spark.createDataFrame(
        [
            ("a", datetime(2026, 3, 29, 0, 30)),
            ("b", datetime(2026, 3, 29, 1, 30)),
            ("c", datetime(2026, 3, 29, 3, 30)),
        ],
        out.schema,
    )
    assert_df_equality(out, expected, ignore_row_order=True)


def test_leap_day_and_bad_values_become_null_for_expectations(spark):
    bronze = bronze_ledger(
        spark,
        {"entry_id": "leap", "effective_date": "2028-02-29"},
        {"entry_id": "bad", "effective_date": "2027-02-29", "amount": "12,3x"},
    )
    rows = {r.entry_id: r for r in ledger_entries.transform(bronze).collect()}
    assert rows["leap"].business_date == date(2028, 2, 29)
    assert rows["bad"].business_date is None
    assert rows["bad"].amount is None
