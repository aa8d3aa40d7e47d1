from __future__ import annotations

from datetime import date
from decimal import Decimal

from lakehouse.silver import bank_balances
from tests.builders import bronze_bank


def _statement(day: str, opening: str, closing: str, txn: str, sha: str) -> list[dict]:
    base = {"booking_date": day, "_file_sha256": sha, "statement_id": f"S-{day}"}
    return [
        {**base, "record_type": "BALANCE", "balance_type": "OPBD", "amount": opening},
        {**base, "record_type": "BALANCE", "balance_type": "CLBD", "amount": closing},
        {**base, "record_type": "TXN", "amount": txn},
    ]


def test_statement_proof_continuity_and_missing_day(spark):
    rows = (
        _statement("2026-11-02", "100.00", "110.00", "10.00", "a" * 64)
        + _statement("2026-11-03", "110.00", "115.00", "5.00", "b" * 64)
        # 2026-11-04 missing; 05 opens with a different balance than 03 closed
        + _statement("2026-11-05", "120.00", "121.00", "2.00", "c" * 64)
    )
    statements = bank_balances.transform(bronze_bank(spark, *rows), "k")
    result = {r.date: r for r in bank_balances.with_continuity(statements).collect()}
    assert result[date(2026, 11, 2)].proves is True
    assert result[date(2026, 11, 3)].continuity_ok is True
    assert result[date(2026, 11, 3)].missing_days == 0
    assert result[date(2026, 11, 5)].missing_days == 1
    assert result[date(2026, 11, 5)].continuity_ok is False
    assert result[date(2026, 11, 5)].proves is False
    assert result[date(2026, 11, 5)].previous_closing == Decimal("115.00")
