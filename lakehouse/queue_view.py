"""The exception queue as operators read it (no JVM): load, filter, sort, total, export.

Shared by ``lakehouse queue`` and the workbench. Reads ``gold.exception_queue`` (the
latest version or as the books closed on a date) through ``deltalake``; money stays
``Decimal`` and leaves as exact decimal strings in JSON and CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lakehouse.lookup import last_as_of, try_open

QUEUE = "gold.exception_queue"
OPEN_STATUSES = ("OPEN", "ASSIGNED", "PENDING_RESOLUTION")
UNASSIGNED = "(unassigned)"
COLUMNS = (
    "leg",
    "item_id",
    "item_ref",
    "partner",
    "severity",
    "status",
    "owner",
    "reason_code",
    "amount",
    "currency",
    "business_date",
    "age_days",
    "aging_bucket",
    "due_at",
    "breached",
    "last_note",
)


@dataclass(frozen=True)
class QueueFilter:
    """What to show; empty fields do not filter. ``owner`` = UNASSIGNED: no owner."""

    leg: str = ""
    partner: str = ""
    reason: str = ""
    severity: str = ""
    owner: str = ""
    status: str = ""
    bucket: str = ""
    breached: bool = False
    resolved: bool = False  # include the breaks the run resolved

    def keeps(self, row: Mapping[str, Any]) -> bool:
        if not self.resolved and row.get("status") == "RESOLVED" and self.status != "RESOLVED":
            return False
        checks = {
            "leg": self.leg,
            "partner": self.partner,
            "reason_code": self.reason,
            "severity": self.severity,
            "status": self.status,
            "aging_bucket": self.bucket,
        }
        if any(wanted and row.get(column) != wanted for column, wanted in checks.items()):
            return False
        if self.owner == UNASSIGNED and row.get("owner"):
            return False
        if self.owner and self.owner != UNASSIGNED and row.get("owner") != self.owner:
            return False
        return not (self.breached and not row.get("breached"))

    def as_query(self) -> dict[str, str]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: ("1" if v is True else str(v)) for k, v in values.items() if v}


@dataclass(frozen=True)
class Queue:
    rows: list[dict[str, Any]]
    as_of: str | None  # the run's as-of date the rows are from
    version: int | None


def load(root: str | None = None, as_of: date | None = None) -> Queue:
    """Every row of the queue (latest, or as the books closed on ``as_of``)."""
    table = try_open(QUEUE, root, as_of)
    if table is None:
        return Queue([], None, None)
    rows = table.to_pyarrow_table().to_pylist()
    return Queue(rows, last_as_of(table) if as_of is None else as_of.isoformat(), table.version())


def select(
    rows: Iterable[Mapping[str, Any]], wanted: QueueFilter, severities: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows ``wanted`` keeps, breached first, then by severity, due time and item."""
    rank = {name: i for i, name in enumerate(severities)}
    far = datetime.max.replace(tzinfo=None)

    def key(row: Mapping[str, Any]) -> tuple[Any, ...]:
        due = row.get("due_at")
        return (
            not row.get("breached"),
            rank.get(str(row.get("severity")), len(rank)),
            due.replace(tzinfo=None) if isinstance(due, datetime) else far,
            str(row.get("leg")),
            str(row.get("item_id")),
        )

    return sorted((dict(r) for r in rows if wanted.keeps(r)), key=key)


def totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts and exact absolute amounts per currency, per severity and breached."""
    amounts: dict[str, Decimal] = {}
    by_severity: dict[str, int] = {}
    count = breached = 0
    for row in rows:
        count += 1
        breached += bool(row.get("breached"))
        currency = str(row.get("currency") or "?")
        amounts[currency] = amounts.get(currency, Decimal("0.00")) + abs(
            row.get("amount") or Decimal("0.00")
        )
        severity = str(row.get("severity"))
        by_severity[severity] = by_severity.get(severity, 0) + 1
    return {
        "count": count,
        "breached": breached,
        "amounts": dict(sorted(amounts.items())),
        "by_severity": by_severity,
    }


def plain(value: Any) -> Any:
    """JSON-safe value: Decimal -> exact string, dates and times -> ISO text."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_json(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in row.items() if not k.startswith("_")} for row in rows]


def as_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else plain(row.get(c)) for c in columns])
    return buffer.getvalue()
