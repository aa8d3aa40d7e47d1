"""A tiny lakehouse for the workbench: gold written with deltalake, two run days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from lakehouse.gold import decision_outcomes, exception_queue, recon_items
from tests.tiny_gold import item, write

DAY1, DAY2 = date(2026, 11, 3), date(2026, 11, 4)


def queue_row(base: dict, **values) -> dict:
    return {
        **base,
        "severity": "low",
        "sla_hours": 168,
        "opened_as_of": DAY1,
        "due_at": datetime(2026, 11, 11, tzinfo=UTC),
        "breached": False,
        "status": "OPEN",
        "notes": 0,
        **values,
    }


def build(root: Path) -> None:
    big = item(
        "ledger_bank",
        "LE-BIG",
        "left",
        amount=Decimal("-150000.00"),
        age_days=1,
        aging_bucket="0-1",
    )
    small = item(
        "ledger_bank",
        "LE-SMALL",
        "left",
        amount=Decimal("12.34"),
        reason_code="AMOUNT_MISMATCH",
        state="PARTIAL",
    )
    bank = item(
        "ledger_bank", "BK-1", "right", amount=Decimal("12.00"), reason_code="UNEXPECTED_BANK_ITEM"
    )
    other = item(
        "ledger_partner", "LE-P", "left", partner="stripe", currency="USD", amount=Decimal("99.99")
    )
    write(root, recon_items.SPEC, [big, small, bank, other], DAY1)
    write(root, exception_queue.SPEC, [queue_row(big), queue_row(small)], DAY1)
    write(root, recon_items.SPEC, [big, small, bank, other], DAY2)
    critical = queue_row(
        big,
        severity="critical",
        sla_hours=24,
        due_at=datetime(2026, 11, 5, tzinfo=UTC),
        breached=True,
        status="ASSIGNED",
        owner="bob",
        last_note="asked treasury",
        last_note_by="bob",
        notes=1,
    )
    rows = [
        critical,
        queue_row(small),
        queue_row(bank, opened_as_of=DAY2),
        queue_row(other, opened_as_of=DAY2),
    ]
    write(root, exception_queue.SPEC, rows, DAY2)
    outcome = {
        "decision_id": "MD-000000000001",
        "action": "assign",
        "leg": "ledger_bank",
        "item_ids": ["LE-BIG"],
        "decided_by": "alice",
        "decided_at": datetime(2026, 11, 4, 9, tzinfo=UTC),
        "reason": "assigned to bob",
        "owner": "bob",
        "outcome": "APPLIED",
    }
    write(root, decision_outcomes.SPEC, [outcome], DAY2)


@pytest.fixture
def lake(settings):
    build(Path(settings.storage.root))
    return settings
