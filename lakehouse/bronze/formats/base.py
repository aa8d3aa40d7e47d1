"""The contract every feed parser fulfils.

A parser is a pure function ``parse(data: bytes, path: str) -> ParsedFile``. It
never touches Spark or the file system. It raises :class:`FileRejected` when the
file as a whole cannot be accepted (not the format, truncated, control totals that
do not tie) and puts single unparseable rows into ``ParsedFile.quarantine`` so that
``rows_read = row_count + len(quarantine)`` holds for every file. A parser may
deliver the accepted rows column-wise (``ParsedFile.table``) instead of as ``rows``.

All values in ``ParsedRow.values`` are strings (or ``None``): bronze keeps what the
file said; silver types it. Amounts are written as plain decimal strings in major
units with ``.`` as the separator (``"1234.50"``), dates as ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import pyarrow as pa

from lakehouse import feed_formats
from lakehouse.errors import FileRejected
from lakehouse.iso4217 import minor_units

__all__ = [
    "BANK_COLUMNS",
    "FAMILY_COLUMNS",
    "LEDGER_COLUMNS",
    "MANUAL_DECISION_COLUMNS",
    "PARTNER_COLUMNS",
    "FileRejected",
    "Malformed",
    "ParsedFile",
    "ParsedRow",
    "QuarantinedRow",
    "RowError",
    "decode_text",
    "money_text",
    "problems_reason",
    "rejecting",
    "rows_schema",
]

# Every bank statement format (BAI2, camt.053/054, MT940, NACHA) lands in bronze
# with these columns.
#   record_type      TXN (a booked entry) or BALANCE (a statement balance)
#   statement_id     identifier of the statement/group/batch inside the file
#   account_id       our account as the bank names it (raw; masked in silver)
#   currency         ISO 4217 code (the format's default applied when absent)
#   booking_date     ISO date the entry was booked / the balance date
#   value_date       ISO value date when the file gives one
#   amount           unsigned decimal string in major units
#   credit_debit     CRDT or DBIT (direction for our account)
#   reversal         "true" when the entry reverses an earlier one (camt RvslInd,
#                    MT940 RC/RD, NACHA return), else "false"
#   balance_type     for BALANCE rows: OPBD, CLBD, OPAV, CLAV, ... (ISO codes)
#   type_code        bank transaction code (BAI2 type, camt BkTxCd, MT940 GVC/
#                    transaction type, NACHA transaction code)
#   bank_reference   the bank's reference for the entry
#   customer_reference  the reference we or our counterparty gave (EndToEndId, ...)
#   description      free text (88 continuations, :86:, RmtInf, ...) joined by " "
#   counterparty_name, counterparty_account   raw; masked in silver
#   return_reason    NACHA R01..R99 / C01.. codes, camt RtrInf reason, else None
#   raw              the source text of the record (line(s) or XML fragment)
BANK_COLUMNS: tuple[str, ...] = (
    "record_type",
    "statement_id",
    "account_id",
    "currency",
    "booking_date",
    "value_date",
    "amount",
    "credit_debit",
    "reversal",
    "balance_type",
    "type_code",
    "bank_reference",
    "customer_reference",
    "description",
    "counterparty_name",
    "counterparty_account",
    "return_reason",
    "raw",
)

# Partner settlement reports (Adyen settlement details, Stripe balance/payout
# reconciliation, ...) map their own header names onto these columns.
#   record_type      the partner's type (Settled, Refunded, Chargeback, MerchantPayout,
#                    charge, refund, payout, ...), verbatim
#   batch_id         settlement batch number / payout id the row is paid out in
#   psp_reference    the partner's id of the payment or balance transaction
#   merchant_reference  our reference (the ledger's external_ref)
#   booked_at        creation/booking timestamp as written, ISO-8601 without zone
#   timezone         the zone of booked_at as the report gives it (CET, UTC, ...)
#   gross_currency, gross_amount   signed decimal: + money to us, - money from us
#   exchange_rate    gross -> net currency rate when the report gives one
#   net_currency, net_amount       signed decimal, same sign convention
#   fee_amount       total fees (always >= 0 for a charge) in net currency
#   commission, markup, scheme_fees, interchange   fee components when given
#   payment_method, modification_reference, value_date, description
#   raw              the source row as JSON {header: value}
PARTNER_COLUMNS: tuple[str, ...] = (
    "record_type",
    "batch_id",
    "psp_reference",
    "merchant_reference",
    "booked_at",
    "timezone",
    "gross_currency",
    "gross_amount",
    "exchange_rate",
    "net_currency",
    "net_amount",
    "fee_amount",
    "commission",
    "markup",
    "scheme_fees",
    "interchange",
    "payment_method",
    "modification_reference",
    "value_date",
    "description",
    "raw",
)

# The internal ledger export (CSV with a header), verbatim.
LEDGER_COLUMNS: tuple[str, ...] = (
    "entry_id",
    "event_type",
    "loan_id",
    "merchant_id",
    "amount",
    "currency",
    "effective_date",
    "created_at",
    "external_ref",
    "channel",
)

# Operator decisions (lakehouse match / unmatch / write-off / adjust and the exception
# queue's assign / comment / status) as landed JSON lines; owner, status and amount are
# optional keys (null when absent).
MANUAL_DECISION_COLUMNS: tuple[str, ...] = (
    "decision_id",
    "action",
    "leg",
    "left_ids",
    "right_ids",
    "item_id",
    "reason",
    "decided_by",
    "decided_at",
    "owner",
    "status",
    "amount",
)

# The bronze columns of each format family (lakehouse.feed_formats).
FAMILY_COLUMNS: dict[str, tuple[str, ...]] = {
    feed_formats.BANK: BANK_COLUMNS,
    feed_formats.PARTNER: PARTNER_COLUMNS,
    feed_formats.LEDGER: LEDGER_COLUMNS,
    feed_formats.DECISIONS: MANUAL_DECISION_COLUMNS,
}


@dataclass(frozen=True)
class ParsedRow:
    """One bronze row: its 1-based position in the file and its column values."""

    row_number: int
    values: dict[str, str | None]


@dataclass(frozen=True)
class QuarantinedRow:
    """A row that could not be parsed, kept with its position, source text and reason."""

    row_number: int
    raw: str
    reason: str


@dataclass
class ParsedFile:
    """Everything a parser learned from one file.

    ``entries`` follows the definition of ``lakehouse inspect``: BAI2 ``16`` records,
    MT940 ``:61:`` lines, camt ``Ntry`` elements, NACHA entry detail records, CSV data
    rows. ``totals`` holds decimal strings (e.g. ``{"credits": "12.00", "debits":
    "3.50", "opening": ..., "closing": ...}``) keyed by what the format controls.
    """

    format: str
    columns: tuple[str, ...]
    rows: list[ParsedRow] = field(default_factory=list)
    quarantine: list[QuarantinedRow] = field(default_factory=list)
    entries: int = 0
    accounts: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # The accepted rows column-wise (see ``rows_table``) when the parser built them so;
    # then ``rows`` stays empty: a million ParsedRow objects cost more than the parse.
    table: pa.Table | None = None

    @property
    def row_count(self) -> int:
        return self.table.num_rows if self.table is not None else len(self.rows)

    @property
    def rows_read(self) -> int:
        return self.row_count + len(self.quarantine)

    def rows_table(self) -> pa.Table:
        """The accepted rows as Arrow: ``row_number`` (int32) then ``columns`` (strings)."""
        if self.table is not None:
            return self.table
        schema = rows_schema(self.columns)
        number = pa.array([row.row_number for row in self.rows], pa.int32())
        values = [
            pa.array([row.values.get(c) for row in self.rows], pa.string()) for c in self.columns
        ]
        return pa.Table.from_arrays([number, *values], schema=schema)

    def records(self) -> list[ParsedRow]:
        """The accepted rows one by one, whichever way the parser built them."""
        if self.table is None:
            return self.rows
        numbers = self.table.column("row_number").to_pylist()
        columns = {c: self.table.column(c).to_pylist() for c in self.columns}
        return [
            ParsedRow(number, {c: columns[c][i] for c in self.columns})
            for i, number in enumerate(numbers)
        ]


def rows_schema(columns: tuple[str, ...]) -> pa.Schema:
    """Schema of ``ParsedFile.rows_table``."""
    return pa.schema(
        [pa.field("row_number", pa.int32(), nullable=False)]
        + [pa.field(c, pa.string()) for c in columns]
    )


def money_text(value: Decimal, currency: str | None) -> str:
    """``value`` as a plain decimal string with at least the currency's ISO 4217 decimals:
    padded, never rounded (extra decimals are kept); a zero is never ``-0``."""
    places = minor_units(currency)
    if -int(value.as_tuple().exponent) < places:
        value = value.quantize(Decimal(1).scaleb(-places))
    if value.is_zero():
        value = abs(value)
    return format(value, "f")


# ------------------------------------------------------------------- shared by every parser


class Malformed(Exception):
    """The file as a whole does not follow its format; :func:`rejecting` turns it into
    ``FileRejected("malformed: <message>")``."""


class RowError(ValueError):
    """A single row cannot be parsed; the message is the quarantine reason."""


@contextmanager
def rejecting(path: str) -> Iterator[None]:
    """Around a parse: :class:`Malformed` becomes ``FileRejected("malformed: ...")`` and
    every FileRejected names ``path``."""
    try:
        yield
    except Malformed as exc:
        raise FileRejected(f"malformed: {exc}", path=path) from None
    except FileRejected as exc:
        if exc.path == path:
            raise
        raise FileRejected(exc.reason, path=path) from None


def problems_reason(prefix: str, problems: Sequence[str], limit: int = 5) -> str:
    """One line: ``prefix: first; second; ...; and N more`` (the first ``limit`` in full)."""
    shown = "; ".join(problems[:limit])
    more = len(problems) - limit
    return f"{prefix}: {shown}" + (f"; and {more} more" if more > 0 else "")


def decode_text(data: bytes, *, utf8_only: bool = False) -> tuple[str, list[str]]:
    """The text of a file and warnings: the one decode policy of every text format.

    UTF-8 (a leading BOM removed); else cp1252, else latin-1 (which reads any byte), each
    with a warning naming the first byte UTF-8 could not read. ``utf8_only`` (formats
    that must be UTF-8, such as JSON lines) rejects the file instead.
    """
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        utf8 = exc
    if utf8_only:
        raise FileRejected(f"not UTF-8 ({utf8.reason} at byte {utf8.start}); it must be UTF-8")
    try:
        return data.decode("cp1252"), [f"not UTF-8 (byte {utf8.start}); read as cp1252"]
    except UnicodeDecodeError as exc:
        warning = f"not UTF-8 (byte {utf8.start}) nor cp1252 (byte {exc.start}); read as latin-1"
        return data.decode("latin-1"), [warning]
