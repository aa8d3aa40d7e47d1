"""The generator's records, column-wise: what events produce and the writers consume.

Money is integer cents (int64) until a writer formats it; text columns are Arrow
strings. Tables of one kind share a schema so days can be concatenated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pyarrow as pa

LEDGER = pa.schema(
    [
        ("entry_id", pa.string()),
        ("event_type", pa.string()),
        ("loan", pa.int64()),
        ("merchant", pa.int64()),
        ("amount", pa.int64()),
        ("currency", pa.string()),
        ("created", pa.int64()),  # seconds since midnight UTC of the effective date
        ("external_ref", pa.string()),
        ("channel", pa.string()),
    ]
)
ADYEN = pa.schema(
    [
        ("psp", pa.string()),
        ("reference", pa.string()),  # Merchant Reference
        ("method", pa.string()),
        ("minute", pa.int64()),  # minutes after 09:00 CET on the settlement day
        ("type", pa.string()),
        ("gross_currency", pa.string()),
        ("gross", pa.int64()),  # signed
        ("rate", pa.string()),
        ("net", pa.int64()),  # signed: + credit
        ("fee", pa.int64()),
        ("modification", pa.string()),
        ("batch", pa.string()),
    ]
)
STRIPE = pa.schema(
    [
        ("txn", pa.string()),
        ("minute", pa.int64()),  # minutes after 07:00 on the settlement day
        ("gross", pa.int64()),
        ("fee", pa.int64()),
        ("net", pa.int64()),
        ("category", pa.string()),
        ("description", pa.string()),
        ("payout", pa.string()),
    ]
)
BANK = pa.schema(
    [
        ("bank", pa.string()),  # US (BAI2, USD) or EU (camt.053, EUR)
        ("booked", pa.date32()),
        ("amount", pa.int64()),  # signed: + credit to our account
        ("type_code", pa.string()),
        ("bank_reference", pa.string()),
        ("customer_reference", pa.string()),
        ("text", pa.string()),
        ("counterparty", pa.string()),
        ("counterparty_account", pa.string()),
    ]
)
TRUTH_MATCHES = pa.schema(
    [("leg", pa.string()), ("left_ids", pa.string()), ("right_ids", pa.string())]
)
TRUTH_EXCEPTIONS = pa.schema(
    [("leg", pa.string()), ("item_id", pa.string()), ("reason_code", pa.string())]
)


def const(value: str, n: int) -> pa.Array:
    """``value`` repeated ``n`` times."""
    return pa.repeat(pa.scalar(value, pa.string()), n)


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    return pa.concat_tables([empty(schema), *tables]).combine_chunks()


@dataclass(frozen=True)
class Calendar:
    """The generated days: index 0 is ``start``; dates past the last day clamp to it."""

    start: date
    days: int

    @property
    def last(self) -> int:
        return self.days - 1

    def date(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def clamp(self, index: int) -> int:
        return min(index, self.last)

    def old_enough(self, index: int, window: int) -> bool:
        """An item of day ``index`` without counterpart is an exception by the last day."""
        return self.last - index > window


@dataclass
class Truth:
    """One day's ground truth facts."""

    matches: list[pa.Table] = field(default_factory=list)
    exceptions: list[pa.Table] = field(default_factory=list)

    def match(self, leg: str, left: pa.Array, right: pa.Array) -> None:
        if len(left):
            legs = const(leg, len(left))
            self.matches.append(pa.table([legs, left, right], schema=TRUTH_MATCHES))

    def exception(self, leg: str, items: pa.Array, reason: pa.Array | str) -> None:
        if len(items):
            legs = const(leg, len(items))
            if isinstance(reason, str):
                reason = const(reason, len(items))
            self.exceptions.append(pa.table([legs, items, reason], schema=TRUTH_EXCEPTIONS))

    def tables(self) -> tuple[pa.Table, pa.Table]:
        return concat(self.matches, TRUTH_MATCHES), concat(self.exceptions, TRUTH_EXCEPTIONS)
