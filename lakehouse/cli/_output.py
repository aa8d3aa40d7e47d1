"""What every command shares: the consoles, argument types, progress and tables."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

from rich.console import Console
from rich.table import Table

# the `sub` each command module registers its commands on
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

# Messages and progress go to stderr; results to stdout (pipe-able).
console = Console(stderr=True)
# Wide enough for the summary tables also when the output is a file or a CI log.
out = Console(width=None if sys.stdout.isatty() else 160)


def iso_date(value: str) -> date:
    """argparse type: an ISO date, or a one-line error naming the value."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def progress(message: str) -> None:
    console.log(message)


def print_table(rows: Sequence[dict[str, Any]], title: str = "") -> None:
    if not rows:
        out.print(f"{title}: no rows" if title else "no rows")
        return
    table = Table(title=title or None)
    for column in rows[0]:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row.values()])
    out.print(table)


def json_value(value: Any) -> Any:
    """JSON for what tables hold: money as exact decimal strings, dates and times as ISO
    text (``json.dumps(..., default=json_value)``)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return str(value)


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (see :func:`json_value`)."""
    sys.stdout.write(json.dumps(data, indent=2, default=json_value) + "\n")


def non_negative(value: str) -> int:
    """argparse type: a whole number >= 0 (a Delta version, a count)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give 0 or more")
    return number


def money(value: str) -> Decimal:
    """argparse type: an exact amount (``12.50``), never a float."""
    try:
        amount = Decimal(value.strip())
    except ArithmeticError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an amount; use digits like 12.50"
        ) from None
    if not amount.is_finite():
        raise argparse.ArgumentTypeError(f"{value!r} is not an amount; use digits like 12.50")
    return amount
