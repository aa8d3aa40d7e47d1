"""Writers of the CSV feeds and the NACHA return file (pure: records in, bytes out).

The ledger export, Adyen Settlement Details and Stripe itemized balance changes are
written column-wise from the generator's records (see :mod:`lakehouse.synthetic.records`)
in chunks of ``CHUNK`` rows, each chunk one ``memoryview`` of CSV lines. Generated values
never hold a comma, quote or line break, so no field needs quoting. Bank statements are
in :mod:`lakehouse.synthetic.statements`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.bronze.formats.base import LEDGER_COLUMNS
from lakehouse.synthetic import text as tx

CHUNK = 500_000
CRLF = "\r\n"


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def ledger_csv(entries: Sequence[dict[str, str]]) -> bytes:
    return _csv(LEDGER_COLUMNS, [[e.get(c, "") for c in LEDGER_COLUMNS] for e in entries])


ADYEN_HEADER = [
    "Company Account",
    "Merchant Account",
    "Psp Reference",
    "Merchant Reference",
    "Payment Method",
    "Creation Date",
    "TimeZone",
    "Type",
    "Modification Reference",
    "Gross Currency",
    "Gross Debit (GC)",
    "Gross Credit (GC)",
    "Exchange Rate",
    "Net Currency",
    "Net Debit (NC)",
    "Net Credit (NC)",
    "Commission (NC)",
    "Markup (NC)",
    "Scheme Fees (NC)",
    "Interchange (NC)",
    "Payment Method Variant",
    "Modification Merchant Reference",
    "Batch Number",
    "Reserved4",
    "Reserved5",
    "Reserved6",
    "Reserved7",
    "Reserved8",
    "Reserved9",
    "Reserved10",
    "Booking Date",
    "Booking Date TimeZone",
]


STRIPE_HEADER = (
    "balance_transaction_id",
    "created",
    "available_on",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
    "description",
    "automatic_payout_id",
    "automatic_payout_effective_at",
)


def _chunks(table: pa.Table) -> Iterator[pa.Table]:
    for offset in range(0, table.num_rows, CHUNK):
        yield table.slice(offset, CHUNK)


def _header(columns: Sequence[str]) -> bytes:
    return (",".join(columns) + CRLF).encode()


def _col(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def _num(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).fill_null(0).to_numpy())


def ledger_rows(table: pa.Table, day: date) -> Iterator[memoryview | bytes]:
    """The ledger export of one effective date (:data:`records.LEDGER` rows)."""
    yield _header(LEDGER_COLUMNS)
    for part in _chunks(table):
        created = tx.clock(_num(part, "created"))
        yield tx.payload(
            tx.join(
                [
                    _col(part, "entry_id"),
                    _col(part, "event_type"),
                    tx.join(["LN-", tx.zpad(_num(part, "loan"), 7)]),
                    tx.join(["M-", tx.zpad(_num(part, "merchant"), 4)]),
                    tx.money(_num(part, "amount")),
                    _col(part, "currency"),
                    day.isoformat(),
                    tx.join([f"{day.isoformat()}T", created, "Z"]),
                    _col(part, "external_ref"),
                    tx.join([_col(part, "channel"), CRLF]),
                ],
                ",",
            )
        )


def _minutes(part: pa.Table, base_hour: int) -> pa.Array:
    return tx.clock(base_hour * 3600 + _num(part, "minute") * 60)


def _unless(condition: np.ndarray, values: pa.Array) -> pa.Array:
    """``values``, empty where ``condition`` holds."""
    return pc.if_else(pa.array(condition), "", values)


def adyen_rows(table: pa.Table, day: date) -> Iterator[memoryview | bytes]:
    """The Settlement Details report of one settlement day (:data:`records.ADYEN` rows)."""
    yield _header(ADYEN_HEADER)
    for part in _chunks(table):
        gross, net, fee = _num(part, "gross"), _num(part, "net"), _num(part, "fee")
        no_gross = np.asarray(part.column("gross").is_null().to_numpy(zero_copy_only=False))
        gross_text, net_text = tx.money(np.abs(gross)), tx.money(np.abs(net))
        yield tx.payload(
            tx.join(
                [
                    "LenderCo,LenderCoEU",
                    _col(part, "psp"),
                    _col(part, "reference"),
                    _col(part, "method"),
                    tx.join([f"{day.isoformat()} ", _minutes(part, 9)]),
                    "CET",
                    _col(part, "type"),
                    _col(part, "modification"),
                    _col(part, "gross_currency"),
                    _unless(no_gross | (gross >= 0), gross_text),
                    _unless(no_gross | (gross < 0), gross_text),
                    _col(part, "rate"),
                    "EUR",
                    _unless(net >= 0, net_text),
                    _unless(net < 0, net_text),
                    _unless(fee == 0, tx.money(fee)),
                    ",,,,",  # Markup, Scheme Fees, Interchange, Variant, Modification Ref
                    tx.join([_col(part, "batch"), f",,,,,,,,,{CRLF}"]),  # Reserved4..Booking TZ
                ],
                ",",
            )
        )


def stripe_rows(table: pa.Table, day: date) -> Iterator[memoryview | bytes]:
    """Itemized balance changes available on one day (:data:`records.STRIPE` rows)."""
    yield _header(STRIPE_HEADER)
    effective = f"{day + timedelta(days=1)} 00:00:00{CRLF}"
    for part in _chunks(table):
        yield tx.payload(
            tx.join(
                [
                    _col(part, "txn"),
                    tx.join([f"{day.isoformat()} ", _minutes(part, 7)]),
                    day.isoformat(),
                    "usd",
                    tx.money(_num(part, "gross")),
                    tx.money(_num(part, "fee")),
                    tx.money(_num(part, "net")),
                    _col(part, "category"),
                    _col(part, "description"),
                    _col(part, "payout"),
                    effective,
                ],
                ",",
            )
        )


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


@dataclass(frozen=True)
class AchReturn:
    """One returned ACH debit: the original entry as the RDFI sends it back."""

    individual_id: str  # the originator's reference (15 characters at most)
    name: str
    amount: Decimal  # positive: the amount of the original debit
    reason: str  # R-code, e.g. R01
    original_trace: str
    trace: str
    rdfi_routing: str  # 9 digits
    account: str


def _field(value: str | int, width: int, *, numeric: bool = False) -> str:
    text = str(value)
    if len(text) > width:
        raise ValueError(f"NACHA field {text!r} is longer than {width} characters")
    return text.rjust(width, "0") if numeric else text.ljust(width)


def nacha_returns(
    returns: Sequence[AchReturn],
    created: datetime,
    effective: date,
    odfi_routing: str,
    company_id: str,
    company_name: str,
) -> bytes:
    """A NACHA return file from our ODFI: one PPD batch of returned debits (code 26).

    Each entry carries an addenda 99 with the R-code and the original trace number;
    batch and file controls (counts, entry hash, debit and credit totals, block
    count) tie, and the file is padded to a multiple of ten records with ``9``s.
    """
    odfi8 = odfi_routing[:8]
    records = [
        "101"
        + _field(f" {odfi_routing}", 10)
        + _field(f" {odfi_routing}", 10)
        + f"{created:%y%m%d%H%M}A094101"
        + _field("LENDERCO ODFI", 23)
        + _field("LENDERCO", 23)
        + _field("", 8)
    ]
    records.append(
        "5200"
        + _field(company_name, 16)
        + _field("", 20)
        + _field(company_id, 10)
        + "PPD"
        + _field("LOAN PMT", 10)
        + _field("", 6)
        + f"{effective:%y%m%d}"
        + "   1"
        + odfi8
        + _field(1, 7, numeric=True)
    )
    entry_hash = 0
    debits = 0
    for item in returns:
        cents = _cents(item.amount)
        entry_hash += int(item.rdfi_routing[:8])
        debits += cents
        records.append(
            "626"
            + item.rdfi_routing[:9]
            + _field(item.account, 17)
            + _field(cents, 10, numeric=True)
            + _field(item.individual_id, 15)
            + _field(item.name, 22)
            + "  1"
            + _field(item.trace, 15, numeric=True)
        )
        records.append(
            "799"
            + _field(item.reason, 3)
            + _field(item.original_trace, 15, numeric=True)
            + _field("", 6)
            + item.rdfi_routing[:8]
            + _field("", 44)
            + _field(item.trace, 15, numeric=True)
        )
    hash10 = entry_hash % 10**10
    count = 2 * len(returns)
    records.append(
        "8200"
        + _field(count, 6, numeric=True)
        + _field(hash10, 10, numeric=True)
        + _field(debits, 12, numeric=True)
        + _field(0, 12, numeric=True)
        + _field(company_id, 10)
        + _field("", 25)
        + odfi8
        + _field(1, 7, numeric=True)
    )
    blocks = -(-(len(records) + 1) // 10)
    records.append(
        "9"
        + _field(1, 6, numeric=True)
        + _field(blocks, 6, numeric=True)
        + _field(count, 8, numeric=True)
        + _field(hash10, 10, numeric=True)
        + _field(debits, 12, numeric=True)
        + _field(0, 12, numeric=True)
        + _field("", 39)
    )
    records.extend(["9" * 94] * (blocks * 10 - len(records)))
    assert all(len(r) == 94 for r in records), [len(r) for r in records]
    return ("\n".join(records) + "\n").encode("ascii")
