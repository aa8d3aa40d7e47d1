"""What the bank statement parsers (BAI2, camt, MT940, NACHA) share.

A row of the bank family with every ``BANK_COLUMNS`` key, YYMMDD dates, amounts given
in minor units, and the accumulator a statement parser fills while it walks a file
(rows, quarantine, warnings, control failures, accounts, currencies, sums).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from lakehouse.bronze.formats.base import BANK_COLUMNS, ParsedRow, QuarantinedRow

__all__ = ["BankRows", "bank_row", "from_minor_units", "yymmdd_date"]

_YYMMDD = re.compile(r"[0-9]{6}")


def bank_row(**values: str | None) -> dict[str, str | None]:
    """A bank row: ``values`` for the columns given, None for every other column."""
    row: dict[str, str | None] = dict.fromkeys(BANK_COLUMNS)
    row.update(values)
    return row


def yymmdd_date(value: str) -> str | None:
    """ISO date of a YYMMDD value (``%y`` pivot: 69-99 -> 19xx), None if not a date."""
    if not _YYMMDD.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, "%y%m%d").date().isoformat()
    except ValueError:
        return None


def from_minor_units(minor: int, exponent: int) -> Decimal:
    """Exact conversion of an amount in minor units to a Decimal in major units."""
    return Decimal(f"{minor}e-{exponent}")


@dataclass(kw_only=True)
class BankRows:
    """What a statement parser has found so far in one file."""

    rows: list[ParsedRow] = field(default_factory=list)
    quarantine: list[QuarantinedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    credits: Decimal = Decimal(0)
    debits: Decimal = Decimal(0)

    def note(self, *, account: str | None = None, currency: str | None = None) -> None:
        """Remember an account and a currency of the file (each once, in file order)."""
        if account and account not in self.accounts:
            self.accounts.append(account)
        if currency and currency not in self.currencies:
            self.currencies.append(currency)
