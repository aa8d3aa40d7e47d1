"""The arithmetic both partner parse paths share, so rows and columns decide alike.

Amounts (credit - debit, sums of fee parts), the cross-currency test, the gross - fees
= net tie within the layout's tolerances, payout batches netting to zero, the file's
totals per kind and currency, and the date part of a value date. Every sum runs in
:data:`~lakehouse.bronze.formats.csv_text.MONEY_CONTEXT` (no silent rounding).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext

from lakehouse.bronze.formats.csv_text import MONEY_CONTEXT, format_decimal
from lakehouse.bronze.formats.partner_layout import CsvLayout

__all__ = [
    "CURRENCY_FIELDS",
    "TOTAL_AMOUNTS",
    "BatchKey",
    "column_totals",
    "credit_minus_debit",
    "cross_currency",
    "currencies_of",
    "date_part",
    "lacks_fx_rate",
    "paid_out_batches",
    "sum_present",
    "ties",
]

CURRENCY_FIELDS = ("gross_currency", "net_currency")

# (kind, amount field, currency field) of ParsedFile.totals
_TOTAL_KINDS = (
    ("gross", "gross_amount", "gross_currency"),
    ("fee", "fee_amount", "net_currency"),
    ("net", "net_amount", "net_currency"),
)
TOTAL_AMOUNTS = tuple(amount for _, amount, _ in _TOTAL_KINDS)

_ISO_DATE_PREFIX = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ].*)?", re.ASCII)

BatchKey = tuple[str | None, str | None]  # (batch_id, net_currency)


def credit_minus_debit(credit: Decimal | None, debit: Decimal | None) -> Decimal | None:
    if credit is None:
        return None if debit is None else -debit
    return credit if debit is None else credit - debit


def sum_present(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [value for value in values if value is not None]
    return sum(present, Decimal(0)) if present else None


def date_part(text: str | None) -> str | None:
    """``YYYY-MM-DD`` of a value that starts with an ISO date; anything else as written."""
    match = _ISO_DATE_PREFIX.fullmatch(text) if text is not None else None
    return match.group(1) if match else text


def cross_currency(gross_currency: str | None, net_currency: str | None) -> bool:
    return (
        gross_currency is not None
        and net_currency is not None
        and gross_currency.upper() != net_currency.upper()
    )


def lacks_fx_rate(cross: bool, gross: Decimal | None, rate: Decimal | None) -> bool:
    """A cross-currency row with a gross amount but no positive exchange rate."""
    return cross and gross is not None and (rate is None or rate <= 0)


def ties(
    gross: Decimal, fees: Decimal, net: Decimal, rate: Decimal | None, layout: CsvLayout
) -> bool:
    """gross - fees = net within the row tolerance, or, with a ``rate`` (currencies
    differ), gross x rate - fees = net within the FX tolerance."""
    if rate is not None:
        return abs(gross * rate - fees - net) <= layout.fx_tolerance
    return abs(gross - fees - net) <= layout.row_tolerance


def paid_out_batches(
    keys: Iterable[BatchKey],
    record_types: Iterable[str | None],
    nets: Iterable[Decimal | None],
    layout: CsvLayout,
) -> dict[BatchKey, tuple[Decimal, int]]:
    """Net total and row count of every batch that holds a row of ``payout_types``, in
    the order the batches first appear."""
    payout_types = {name.casefold() for name in layout.payout_types}
    totals: dict[BatchKey, tuple[Decimal, int]] = {}
    paid_out: set[BatchKey] = set()
    with localcontext(MONEY_CONTEXT):
        for key, record_type, net in zip(keys, record_types, nets, strict=True):
            total, count = totals.get(key, (Decimal(0), 0))
            totals[key] = (total + (net or Decimal(0)), count + 1)
            if (record_type or "").casefold() in payout_types:
                paid_out.add(key)
    return {key: total for key, total in totals.items() if key in paid_out}


def currencies_of(values: Mapping[str, list[str | None]]) -> list[str]:
    """Every gross and net currency the rows name (``values``: columns by field)."""
    return sorted({c for field in CURRENCY_FIELDS for c in values[field] if c is not None})


def column_totals(
    values: Mapping[str, list[str | None]], amounts: Mapping[str, list[Decimal | None]]
) -> dict[str, str]:
    """Sums per kind and currency (``gross:USD``, ``fee:EUR``, ``net:EUR``) of the rows
    given column by column."""
    sums: dict[str, Decimal] = {}
    with localcontext(MONEY_CONTEXT):
        for kind, amount_field, currency_field in _TOTAL_KINDS:
            if amount_field not in amounts:
                continue
            pairs = zip(amounts[amount_field], values[currency_field], strict=True)
            for amount, currency in pairs:
                if amount is not None:
                    key = f"{kind}:{currency or '-'}"
                    sums[key] = sums.get(key, Decimal(0)) + amount
    return {key: format_decimal(total) for key, total in sorted(sums.items())}
