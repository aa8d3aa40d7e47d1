"""Text formatting of the report: escaping, money, counts and rates."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lakehouse.report.data import ZERO

# ---- formatting ----------------------------------------------------------------------


def esc(value: Any) -> str:
    """HTML-escape any value (quotes too, so the result is safe in attributes)."""
    return html.escape(str(value), quote=True)


def fmt_money(value: Decimal | None) -> str:
    """``1234.5`` -> ``1,234.50``; None -> an en dash."""
    if value is None:
        return "\u2013"
    return f"{value.quantize(Decimal('0.01')):,.2f}"


def fmt_int(value: int | None) -> str:
    return "\u2013" if value is None else f"{value:,}"


def fmt_rate(value: float | None) -> str:
    return "\u2013" if value is None else f"{value * 100:.1f}%"


def _dsum(values: Iterable[Decimal | None]) -> Decimal:
    total = ZERO
    for value in values:
        if value is not None:
            total += value
    return total


def bucket_key(label: str) -> tuple[int, str]:
    match = re.match(r"\s*(\d+)", label)
    return (int(match.group(1)) if match else 1_000_000, label)


def fmt_num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")
