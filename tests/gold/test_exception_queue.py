"""gold.exception_queue's transform, whole DataFrames: severity and SLA from conf,
the clock carried from the previous close, workflow from decisions, resolutions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chispa import assert_df_equality
from pyspark.sql.types import StructType

from lakehouse.config import load_settings
from lakehouse.gold import exception_queue as q

AS_OF = date(2026, 11, 5)
ITEM = StructType(q.ITEM_FIELDS)
OUT = StructType([*q.ITEM_FIELDS, *q.QUEUE_FIELDS])
QUEUE_COLUMNS = [f.name for f in q.QUEUE_FIELDS]


def _item(item_id: str, **values: Any) -> dict[str, Any]:
    return {
        "leg": "ledger_bank",
        "item_id": item_id,
        "side": "left",
        "source": "ledger",
        "partner": "adyen",
        "item_ref": item_id,
        "business_date": date(2026, 11, 5),
        "amount": Decimal("50.00"),
        "currency": "EUR",
        "reference": f"REF-{item_id}",
        "state": "EXCEPTION",
        "reason_code": "MISSING_COUNTERPART",
        "match_id": None,
        "age_days": 0,
        "aging_bucket": "0-1",
        **values,
    }


def _row(item: dict[str, Any], **queue: Any) -> dict[str, Any]:
    return {**item, **dict.fromkeys(QUEUE_COLUMNS), "notes": 0, **queue}


def _frame(spark, schema: StructType, rows: list[dict[str, Any]]):
    return spark.createDataFrame(
        [tuple(r.get(f.name) for f in schema.fields) for r in rows], schema
    )


def _clock(severity: str, sla: int, opened: date, due: datetime, breached: bool) -> dict[str, Any]:
    return {
        "severity": severity,
        "sla_hours": sla,
        "opened_as_of": opened,
        "due_at": due,
        "breached": breached,
    }


def test_queue_rows_from_breaks_previous_close_decisions_and_closures(spark):
    queue_settings = load_settings(env={}).queue
    big = _item("B1", amount=Decimal("-150000.00"))
    old = _item("B2", business_date=date(2026, 11, 1), age_days=4, aging_bucket="2-7")
    yen = _item("B3", amount=Decimal("200000.00"), currency="JPY")
    gone_adjusted = _item("P1", amount=Decimal("12.00"))
    gone_matched = _item("P2", state="PARTIAL", reason_code="AMOUNT_MISMATCH")
    resolved_before = _item("P3")
    clock_b2 = _clock("high", 72, date(2026, 11, 1), datetime(2026, 11, 5), True)
    clock_p = _clock("low", 168, date(2026, 11, 4), datetime(2026, 11, 12), False)
    previous = [
        _row(old, **clock_b2, status="OPEN"),
        _row(yen, status="RESOLVED", opened_as_of=date(2026, 10, 1)),
        _row(gone_adjusted, **clock_p, status="ASSIGNED", owner="carol", last_note="fx", notes=1),
        _row(gone_matched, **clock_p, status="OPEN"),
        _row(resolved_before, status="RESOLVED", resolved_as_of=date(2026, 11, 4)),
    ]
    workflow = [
        {
            "leg": "ledger_bank",
            "item_id": "B2",
            "owner": "bob",
            "status": "ASSIGNED",
            "last_note": "asked the bank",
            "last_note_by": "bob",
            "last_note_at": datetime(2026, 11, 5, 9),
            "notes": 2,
        }
    ]
    closed = [
        {
            "leg": "ledger_bank",
            "item_id": "P1",
            "state": "WRITTEN_OFF",
            "rule": "manual:adjust",
            "decision_action": "adjust",
            "decided_by": "carol",
            "decision_amount": Decimal("-1.00"),
        },
        {"leg": "ledger_bank", "item_id": "P2", "state": "MATCHED", "rule": "exact_reference"},
    ]
    result = q.transform(
        _frame(spark, ITEM, [big, old, yen]),
        _frame(spark, q.SCHEMA, previous),
        _frame(spark, q.WORKFLOW_SCHEMA, workflow),
        _frame(spark, q.CLOSED_SCHEMA, closed),
        AS_OF,
        queue_settings,
    )
    resolved = {"status": "RESOLVED", "resolved_as_of": AS_OF}
    expected = [
        # 150k EUR: critical; first seen today, due a day after the end of today
        _row(big, **_clock("critical", 24, AS_OF, datetime(2026, 11, 7), False), status="OPEN"),
        # 96 h old: high; its clock started with the previous close, past due now
        _row(
            old,
            **clock_b2,
            status="ASSIGNED",
            owner="bob",
            last_note="asked the bank",
            last_note_by="bob",
            last_note_at=datetime(2026, 11, 5, 9),
            notes=2,
        ),
        # 200k JPY is medium (per-currency amounts); resolved before, so a new clock
        _row(yen, **_clock("medium", 120, AS_OF, datetime(2026, 11, 11), False), status="OPEN"),
        _row(
            {**gone_adjusted, "state": "WRITTEN_OFF"},
            **clock_p,
            **resolved,
            owner="carol",
            last_note="fx",
            notes=1,
            resolution="adjust",
            resolved_by="carol",
            resolution_amount=Decimal("-1.00"),
        ),
        _row(
            {**gone_matched, "state": "MATCHED"},
            **clock_p,
            **resolved,
            resolution="auto_match",
            resolved_by="rule exact_reference",
        ),
    ]
    assert_df_equality(
        result,
        _frame(spark, OUT, expected),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_severity_thresholds_follow_the_configuration(spark):
    settings = load_settings(env={})
    levels = settings.queue.levels
    stricter = replace(
        settings.queue,
        levels=(replace(levels[0], amount=Decimal("40.00"), sla_hours=4), *levels[1:]),
    )
    breaks = _frame(spark, ITEM, [_item("B1"), _item("B2", amount=Decimal("39.99"))])
    empty = spark.createDataFrame([], q.SCHEMA)
    rows = q.transform(
        breaks,
        empty,
        spark.createDataFrame([], q.WORKFLOW_SCHEMA),
        spark.createDataFrame([], q.CLOSED_SCHEMA),
        AS_OF,
        stricter,
    ).select("item_id", "severity", "sla_hours", "due_at")
    assert sorted(rows.collect()) == [
        ("B1", "critical", 4, datetime(2026, 11, 6, 4)),
        ("B2", "low", 168, datetime(2026, 11, 13)),
    ]
