from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from chispa import assert_df_equality

from lakehouse.silver import partner_settlements
from tests.builders import bronze_partner


def test_settlement_id_sign_and_record_class(spark):
    bronze = bronze_partner(
        spark,
        {"psp_reference": "P1", "record_type": "Settled"},
        {
            "psp_reference": "P2",
            "record_type": "Refunded",
            "gross_amount": "-20.00",
            "net_amount": "-20.00",
            "fee_amount": "0.00",
        },
        {
            "psp_reference": None,
            "record_type": "MerchantPayout",
            "gross_amount": None,
            "net_amount": "-78.40",
            "fee_amount": None,
        },
    )
    out = partner_settlements.transform(bronze, "adyen", "Europe/Amsterdam").select(
        "settlement_id", "record_class", "net_amount"
    )
    expected = spark.createDataFrame(
        [
            ("adyen:P1:Settled", "payment", Decimal("98.40")),
            ("adyen:P2:Refunded", "refund", Decimal("-20.00")),
            # the payout leaves the partner balance but is cash INTO our bank: +
            ("adyen:batch-1000:MerchantPayout", "payout", Decimal("78.40")),
        ],
        out.schema,
    )
    assert_df_equality(out, expected, ignore_row_order=True)


def test_booked_at_uses_the_row_zone_across_dst(spark):
    # EU autumn change 2026-10-25: 10:00 CET (+1) vs 2026-10-24 10:00 CEST (+2)
    bronze = bronze_partner(
        spark,
        {"psp_reference": "A", "booked_at": "2026-10-24 10:00:00", "timezone": "Europe/Amsterdam"},
        {"psp_reference": "B", "booked_at": "2026-10-25 10:00:00", "timezone": "Europe/Amsterdam"},
        {"psp_reference": "C", "booked_at": "2026-10-25 23:30:00", "timezone": ""},
    )
    rows = {
        r.psp_reference: r for r in partner_settlements.transform(bronze, "adyen", "UTC").collect()
    }
    assert rows["A"].booked_at == datetime(2026, 10, 24, 8, 0)
    assert rows["B"].booked_at == datetime(2026, 10, 25, 9, 0)
    assert rows["C"].booked_at == datetime(2026, 10, 25, 23, 30)  # blank zone -> feed zone UTC
    assert rows["C"].business_date == date(2026, 10, 25)
