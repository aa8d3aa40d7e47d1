"""Parser for the internal ledger export: a CSV whose header is exactly LEDGER_COLUMNS.

Guarantees of :func:`parse`:

* Pure ``bytes -> ParsedFile``; no I/O.
* The header must contain every LEDGER_COLUMNS name (any order, case and white space
  ignored); a missing one rejects the file naming it, a repeated one rejects the file,
  extra columns are ignored with a warning.
* Every non-empty data row becomes exactly one ParsedRow or QuarantinedRow
  (``row_number`` = 1-based data row index; header and empty lines not counted).
* A row is quarantined, with the reason, when it is short or has extra values, when
  ``entry_id``, ``event_type``, ``amount``, ``currency``, ``effective_date`` or
  ``created_at`` is blank, when ``amount`` is not a plain decimal (``-12.50``; no
  thousands separators, ``.`` only), ``effective_date`` is not an ISO date
  (``YYYY-MM-DD``) or ``created_at`` is not an ISO-8601 timestamp.
* Values are kept as written (trimmed, blank -> ``None``), except ``amount``, which is
  normalised to a plain decimal string (``+5`` -> ``5``, ``-0.00`` -> ``0.00``).
* ``totals`` holds the signed sum of ``amount`` per currency (``amount:EUR``), computed
  with Decimal.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, localcontext

from lakehouse.bronze.formats.base import (
    LEDGER_COLUMNS,
    FileRejected,
    ParsedFile,
    ParsedRow,
    QuarantinedRow,
)
from lakehouse.bronze.formats.partner_csv import (
    MONEY_CONTEXT,
    RowError,
    fit_record,
    format_decimal,
    is_iso_timestamp,
    normalise_header,
    parse_decimal,
    read_csv,
    record_text,
    text_value,
)

__all__ = ["parse"]

FORMAT = "ledger"
REQUIRED_VALUES: tuple[str, ...] = (
    "entry_id",
    "event_type",
    "amount",
    "currency",
    "effective_date",
    "created_at",
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse(data: bytes, path: str) -> ParsedFile:
    """Parse one ledger export (see the module docstring for guarantees)."""
    try:
        return _parse(data)
    except FileRejected as exc:
        raise FileRejected(exc.reason, path=path) from None


def _parse(data: bytes) -> ParsedFile:
    table = read_csv(data)
    index, header_warnings = _column_index(table.header)
    parsed = ParsedFile(format=FORMAT, columns=LEDGER_COLUMNS, entries=len(table.records))
    for record in table.records:
        try:
            fields = fit_record(record, len(table.header))
            parsed.rows.append(ParsedRow(record.number, _values(fields, index)))
        except RowError as exc:
            parsed.quarantine.append(
                QuarantinedRow(record.number, record_text(record.fields), str(exc))
            )
    parsed.currencies = sorted({row.values["currency"] or "" for row in parsed.rows} - {""})
    parsed.totals = _totals(parsed.rows)
    parsed.warnings = [*table.warnings, *header_warnings, *_duplicate_ids(parsed.rows)]
    return parsed


def _column_index(header: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Position of every ledger column; FileRejected for a missing or repeated one."""
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(header):
        positions.setdefault(normalise_header(name), []).append(position)
    missing = [column for column in LEDGER_COLUMNS if column not in positions]
    if missing:
        raise FileRejected(
            f"ledger export lacks column(s) {', '.join(missing)}; "
            f"expected header: {','.join(LEDGER_COLUMNS)}"
        )
    repeated = [column for column in LEDGER_COLUMNS if len(positions[column]) > 1]
    if repeated:
        raise FileRejected(f"ledger column {repeated[0]} appears more than once in the header")
    extra = [name or "(unnamed)" for name in header if normalise_header(name) not in LEDGER_COLUMNS]
    warnings = [f"extra columns ignored: {', '.join(extra)}"] if extra else []
    return {column: positions[column][0] for column in LEDGER_COLUMNS}, warnings


def _values(fields: Sequence[str], index: Mapping[str, int]) -> dict[str, str | None]:
    values = {column: text_value(fields[position]) for column, position in index.items()}
    for column in REQUIRED_VALUES:
        if values[column] is None:
            raise RowError(f"{column} is blank")
    values["amount"] = _amount(values["amount"] or "")
    _check_date(values["effective_date"] or "")
    _check_timestamp(values["created_at"] or "")
    return values


def _amount(text: str) -> str:
    try:
        return format_decimal(parse_decimal(text, ".", grouping=False))
    except ValueError:
        raise RowError(f"amount {text!r} is not a decimal (write e.g. -12.50)") from None


def _check_date(text: str) -> None:
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        date.fromisoformat(text)
    except ValueError:
        raise RowError(f"effective_date {text!r} is not an ISO date (YYYY-MM-DD)") from None


def _check_timestamp(text: str) -> None:
    if not is_iso_timestamp(text):
        message = f"created_at {text!r} is not an ISO-8601 timestamp (YYYY-MM-DDTHH:MM:SS)"
        raise RowError(message)


def _totals(rows: Sequence[ParsedRow]) -> dict[str, str]:
    sums: dict[str, Decimal] = {}
    with localcontext(MONEY_CONTEXT):
        for row in rows:
            key = f"amount:{row.values['currency']}"
            sums[key] = sums.get(key, Decimal(0)) + Decimal(row.values["amount"] or "0")
    return {key: format_decimal(total) for key, total in sorted(sums.items())}


def _duplicate_ids(rows: Sequence[ParsedRow]) -> list[str]:
    counts = Counter(row.values["entry_id"] for row in rows)
    repeated = sorted(str(entry) for entry, count in counts.items() if count > 1)
    if not repeated:
        return []
    shown = ", ".join(repeated[:5]) + (" ..." if len(repeated) > 5 else "")
    return [f"{len(repeated)} entry_id values appear more than once: {shown}"]
