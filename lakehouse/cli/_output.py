"""What every command shares: the consoles, argument types, progress and tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
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
