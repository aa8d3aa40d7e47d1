"""The CSV text toolkit every CSV format shares (partner reports, the ledger export).

Reading: :func:`read_csv` decodes with the one decode policy of
:mod:`lakehouse.bronze.formats.base` and returns the header and the non-empty data rows,
numbered from 1. Rows: :func:`fit_record` cuts a row to the header width (a short row
or extra values are a :class:`~lakehouse.bronze.formats.base.RowError`), :func:`text_value`
trims a cell, :func:`record_text` writes a row back for quarantine. Numbers:
:func:`parse_decimal` reads a plain decimal (either separator, optional thousands
grouping, at most :data:`MAX_AMOUNT_DIGITS` digits) into a :class:`~decimal.Decimal`;
:func:`format_decimal` writes one back; :data:`MONEY_CONTEXT` traps any rounding.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow

from lakehouse.bronze.formats.base import FileRejected, RowError, decode_text

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "MAX_FIELD_CHARS",
    "MONEY_CONTEXT",
    "CsvRecord",
    "CsvTable",
    "detect_decimal_separator",
    "fit_record",
    "format_decimal",
    "is_blank",
    "is_iso_timestamp",
    "normalise_header",
    "parse_decimal",
    "raw_keys",
    "read_csv",
    "record_text",
    "separator_of_counts",
    "text_value",
]

MAX_AMOUNT_DIGITS = 24  # more digits than any real amount: refuse rather than round

# A cell longer than this is no real value (a reference, a name, a description): its row
# is quarantined, not the file rejected. The csv module's own limit is raised above it
# so that such a row can be read, and kept whole in the quarantine.
MAX_FIELD_CHARS = 131_072
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

# Wide enough for every sum of <= 24-digit amounts; Inexact traps any silent rounding.
MONEY_CONTEXT = Context(prec=100, traps=[InvalidOperation, Inexact, Overflow, DivisionByZero])


@dataclass(frozen=True)
class CsvRecord:
    """One non-empty data row: its 1-based data row index and its fields as written."""

    number: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CsvTable:
    """A decoded CSV: the header (trailing unnamed columns dropped) and the data rows."""

    header: tuple[str, ...]
    records: tuple[CsvRecord, ...]
    warnings: tuple[str, ...]


def normalise_header(name: str) -> str:
    """Header name for matching: case folded, BOM and all white space removed."""
    return "".join(name.replace("\ufeff", "").split()).casefold()


def is_blank(fields: Sequence[str]) -> bool:
    # every value white space <=> all of them joined are (one C call instead of a loop)
    return not "".join(fields).strip()


# Read after the file's last line: when it comes back as a row of its own, every quoted
# field was closed; when it was swallowed into a field, the file ends inside quotes.
_END_OF_FILE = "\ue000end of file\ue000"


def _csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    lines = itertools.chain(io.StringIO(text, newline=""), [_END_OF_FILE])
    reader = csv.reader(lines, delimiter=delimiter)
    last: list[str] | None = None
    try:
        for row in reader:
            if last is not None:
                yield last
            last = row
    except csv.Error as exc:
        raise FileRejected(f"not a readable CSV file: {exc} (line {reader.line_num})") from None
    if last != [_END_OF_FILE]:
        raise FileRejected(
            "truncated: the file ends inside a quoted field (a quote opened on its last "
            "row never closes)"
        )


def read_csv(data: bytes, delimiter: str = ",") -> CsvTable:
    """Header and non-empty data rows of a CSV file; FileRejected when there is no header."""
    text, warnings = decode_text(data)
    header: tuple[str, ...] | None = None
    records: list[CsvRecord] = []
    skipped = 0
    for fields in _csv_rows(text, delimiter):
        if is_blank(fields):
            skipped += 1 if header is not None else 0
        elif header is None:
            header = _clean_header(fields)
        else:
            records.append(CsvRecord(len(records) + 1, tuple(fields)))
    if header is None:
        raise FileRejected("empty file: no CSV header row")
    if skipped:
        warnings.append(f"{skipped} empty lines skipped")
    return CsvTable(header, tuple(records), tuple(warnings))


def _clean_header(fields: Sequence[str]) -> tuple[str, ...]:
    names = [name.replace("\ufeff", "").strip() for name in fields]
    while names and not names[-1]:
        names.pop()
    return tuple(names)


def fit_record(record: CsvRecord, width: int) -> tuple[str, ...]:
    """The record cut to the header width; RowError when short, with extra values or
    with a cell longer than :data:`MAX_FIELD_CHARS`."""
    fields = record.fields
    if len(fields) < width:
        raise RowError(f"short row: {len(fields)} fields, the header has {width}")
    extra = fields[width:]
    if not is_blank(extra):
        raise RowError(f"row has {len(fields)} fields with values, the header has {width}")
    fields = fields[:width]
    if fields and max(map(len, fields)) > MAX_FIELD_CHARS:
        column, cell = next((i, f) for i, f in enumerate(fields, 1) if len(f) > MAX_FIELD_CHARS)
        raise RowError(
            f"column {column} holds {len(cell)} characters, more than the "
            f"{MAX_FIELD_CHARS} a field may have"
        )
    return fields


def record_text(fields: Iterable[str], delimiter: str = ",") -> str:
    """The row as one CSV line (for quarantine)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow(list(fields))
    return buffer.getvalue()


def raw_keys(header: Sequence[str]) -> tuple[str, ...]:
    """Unique keys for ``raw``: unnamed columns get ``column_<n>``, repeats ``<name> (2)``."""
    seen: Counter[str] = Counter()
    keys = []
    for position, name in enumerate(header, start=1):
        key = name or f"column_{position}"
        seen[key] += 1
        keys.append(key if seen[key] == 1 else f"{key} ({seen[key]})")
    return tuple(keys)


def text_value(value: str) -> str | None:
    """A text cell as bronze keeps it: trimmed, blank -> None."""
    stripped = value.strip()
    return stripped or None


_ISO_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?", re.ASCII
)


def is_iso_timestamp(value: str) -> bool:
    """True for ``YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|+HH:MM]`` naming a real instant."""
    if not _ISO_TIMESTAMP.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------------- decimals

_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _compact(value: str) -> str:
    return _SPACES.sub("", value)


@functools.cache
def _decimal_pattern(decimal: str, grouping: bool) -> re.Pattern[str]:
    thousands = re.escape("," if decimal == "." else ".")
    integer = rf"(?:\d{{1,3}}(?:{thousands}\d{{3}})+|\d+)" if grouping else r"\d+"
    return re.compile(rf"[+-]?{integer}(?:{re.escape(decimal)}\d+)?", re.ASCII)


# A settlement report repeats few distinct amounts (fees, zeros) across millions of
# cells: parsing each distinct text once took a 367k-row Adyen report from 29 to 22 s.
@functools.lru_cache(maxsize=1 << 16)
def parse_decimal(value: str, decimal: str = ".", *, grouping: bool = True) -> Decimal:
    """``value`` as a Decimal; ``decimal`` is its separator, the other one groups thousands.

    Raises ValueError for anything that is not a plain decimal number.
    """
    text = _compact(value)
    if not _decimal_pattern(decimal, grouping).fullmatch(text):
        raise ValueError(f"{value!r} is not a decimal number")
    if sum(ch.isdigit() for ch in text) > MAX_AMOUNT_DIGITS:
        raise ValueError(f"{value!r} has more than {MAX_AMOUNT_DIGITS} digits")
    thousands = "," if decimal == "." else "."
    return Decimal(text.replace(thousands, "").replace(decimal, "."))


def format_decimal(value: Decimal) -> str:
    """Plain decimal string with ``.`` and no exponent; negative zero becomes zero."""
    if value.is_zero():
        value = value.copy_abs()
    return format(value, "f")


def detect_decimal_separator(cells: Iterable[str]) -> tuple[str, list[str]]:
    """The decimal separator most amount cells use ('.' when undecidable) and warnings."""
    return separator_of_counts(Counter(cells))


def separator_of_counts(cells: Counter[str]) -> tuple[str, list[str]]:
    """``detect_decimal_separator`` of the cells counted by ``cells`` (text -> times)."""
    votes: Counter[str] = Counter()
    # vote once per distinct text, weighted by how often it occurs
    for cell, times in cells.items():
        vote = _separator_vote(_compact(cell))
        if vote:
            votes[vote] += times
    separator = "," if votes[","] > votes["."] else "."
    warnings = []
    if votes[","] and votes["."]:
        warnings.append(
            f"amounts use both '.' ({votes['.']}) and ',' ({votes[',']}) as decimal "
            f"separator; read with {separator!r}, amounts that do not fit are quarantined"
        )
    return separator, warnings


def _separator_vote(text: str) -> str | None:
    last = max(text.rfind("."), text.rfind(","))
    if last < 0:
        return None
    separator = text[last]
    other = "," if separator == "." else "."
    if other in text[:last]:
        return separator  # "1,234.56": the last separator is the decimal one
    digits_after = len(text) - last - 1
    return separator if digits_after != 3 else None  # "1,234" is ambiguous
