"""A partner layout added to the layouts file alone runs from landing to silver."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from lakehouse.config import load_settings
from lakehouse.io import read
from lakehouse.pipeline import context, run_ingest, run_refine
from lakehouse.silver import partner_settlements
from tests.test_feed_formats import env_with, layouts_with_acme

REPORT = (
    "Kind,Acme Ref,Order,Booked,Ccy,Gross,Fee,Net\n"
    "Settled,A-1,O-1,2026-11-02 10:00:00,CHF,10.00,0.50,9.50\n"
    "Refunded,A-2,O-2,2026-11-02 11:30:00,CHF,-4.00,0.00,-4.00\n"
)


@pytest.mark.spark
def test_layout_table_alone_lands_in_bronze_and_silver(spark, tmp_path: Path) -> None:
    settings = load_settings(env=env_with(layouts_with_acme(tmp_path), tmp_path))
    folder = Path(settings.storage.landing) / "acme"
    folder.mkdir(parents=True)
    (folder / "acme_2026-11-02.csv").write_text(REPORT, encoding="utf-8")
    ctx = context(settings, date(2026, 11, 2), run_id="acme-run")
    report = run_ingest(spark, ctx)
    assert [(o.feed, o.status, o.rows_bronze) for o in report.outcomes] == [("acme", "ingested", 2)]
    assert run_refine(spark, ctx)["partner_settlements"] == {"rows": 2, "quarantined": 0}
    rows = (
        read(spark, settings, partner_settlements.SPEC)
        .where(F.col("partner") == "acme")
        .orderBy("settlement_id")
        .select("settlement_id", "record_class", "net_amount", "currency", "business_date")
        .collect()
    )
    assert [tuple(row) for row in rows] == [
        ("acme:A-1:Settled", "payment", Decimal("9.50"), "CHF", date(2026, 11, 2)),
        ("acme:A-2:Refunded", "refund", Decimal("-4.00"), "CHF", date(2026, 11, 2)),
    ]
