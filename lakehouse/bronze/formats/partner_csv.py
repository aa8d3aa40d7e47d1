"""Layout-driven parser for partner settlement CSV reports (Adyen, Stripe, ...).

A partner report is described by a :class:`CsvLayout` loaded from ``conf/partners.toml``;
the code knows no partner. Adding a partner is a new ``[layouts.<name>]`` table and
nothing else (:mod:`lakehouse.feed_formats` makes it a format and a feed).

Guarantees of :func:`parse_with_layout` (and of the parsers :func:`parser_for` returns):

* Pure: no I/O, no Spark; only ``bytes -> ParsedFile`` or :class:`FileRejected`.
* Columns are found by header NAME (case and white space ignored), never by position;
  each field may have several alternative headers, the first one present wins.
* Every non-empty data row becomes exactly one :class:`ParsedRow` or
  :class:`QuarantinedRow`; ``row_number`` is the 1-based data row index (the header and
  empty lines are not counted). Short rows, rows with extra non-empty fields and rows
  whose amounts are not decimals are quarantined with a reason.
* Amounts are computed with :class:`~decimal.Decimal` only (never ``float``) and written
  as plain decimal strings with ``.`` (``"-75,57"`` -> ``"-75.57"``); ``-0`` is ``0``.
* With ``control = "gross_minus_fees_equals_net"`` every row with a gross and a net
  amount ties: ``gross - fees = net`` within ``row_tolerance`` (same currency) or
  ``gross * exchange_rate - fees = net`` within ``fx_tolerance`` (currencies differ).
  A row that does not tie rejects the FILE, naming the row, its psp reference and the
  amounts. When a batch holds a row of one of ``payout_types``, the net of all rows of
  that batch and net currency must sum to exactly 0, else the file is rejected.
* Texts are kept as written (trimmed; blank -> ``None``), currency codes included:
  silver validates them. ``value_date`` is cut to ``YYYY-MM-DD`` when it starts with
  an ISO date. ``raw`` is ``json.dumps`` of the row as ``{header: value}``.
* UTF-8 (with or without BOM) is read; otherwise cp1252, with a warning.

The CSV primitives (:func:`read_csv`, :func:`parse_decimal`, ...) are shared with the
ledger parser.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import io
import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import (
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.bronze.formats.base import (
    PARTNER_COLUMNS,
    FileRejected,
    ParsedFile,
    ParsedRow,
    QuarantinedRow,
    RowError,
    decode_text,
    rejecting,
    rows_schema,
)
from lakehouse.errors import ConfigError
from lakehouse.feed_formats import DEFAULT_LAYOUTS_PATH

__all__ = [
    "DEFAULT_LAYOUTS_PATH",
    "MONEY_CONTEXT",
    "AmountRule",
    "CsvLayout",
    "CsvRecord",
    "CsvTable",
    "ImpliedValue",
    "RowError",
    "default_layouts",
    "fit_record",
    "format_decimal",
    "is_iso_timestamp",
    "load_layouts",
    "normalise_header",
    "parse_decimal",
    "parse_with_layout",
    "parser_for",
    "raw_keys",
    "read_csv",
    "record_text",
    "text_value",
]


CONTROL_GROSS_MINUS_FEES = "gross_minus_fees_equals_net"
CONTROL_NONE = "none"
_CONTROLS = (CONTROL_GROSS_MINUS_FEES, CONTROL_NONE)
_DECIMAL_SEPARATORS = (".", ",", "auto")
_FIELDS = tuple(column for column in PARTNER_COLUMNS if column != "raw")
MAX_AMOUNT_DIGITS = 24  # more digits than any real amount: refuse rather than round

# Wide enough for every sum of <= 24-digit amounts; Inexact traps any silent rounding.
MONEY_CONTEXT = Context(prec=100, traps=[InvalidOperation, Inexact, Overflow, DivisionByZero])


# --------------------------------------------------------------------------- CSV primitives


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


def _is_blank(fields: Sequence[str]) -> bool:
    # every value white space <=> all of them joined are (one C call instead of a loop)
    return not "".join(fields).strip()


def _csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise FileRejected(f"not a readable CSV file: {exc} (line {reader.line_num})") from None


def read_csv(data: bytes, delimiter: str = ",") -> CsvTable:
    """Header and non-empty data rows of a CSV file; FileRejected when there is no header."""
    text, warnings = decode_text(data)
    header: tuple[str, ...] | None = None
    records: list[CsvRecord] = []
    skipped = 0
    for fields in _csv_rows(text, delimiter):
        if _is_blank(fields):
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
    """The record cut to the header width; RowError when short or with extra values."""
    fields = record.fields
    if len(fields) < width:
        raise RowError(f"short row: {len(fields)} fields, the header has {width}")
    extra = fields[width:]
    if not _is_blank(extra):
        raise RowError(f"row has {len(fields)} fields with values, the header has {width}")
    return fields[:width]


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
    return _separator_of(Counter(cells))


def _separator_of(cells: Counter[str]) -> tuple[str, list[str]]:
    """``detect_decimal_separator`` of the cells counted by ``cells``."""
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


# --------------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class AmountRule:
    """How one amount field is computed: one column, credit - debit, or a sum of fields."""

    column: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    sum_of: tuple[str, ...] = ()

    @property
    def headers(self) -> tuple[str, ...]:
        return self.column + self.credit + self.debit


@dataclass(frozen=True)
class ImpliedValue:
    """A constant ``value`` for ``field`` when one of ``when_headers`` is present."""

    field: str
    value: str
    when_headers: tuple[str, ...]


@dataclass(frozen=True)
class CsvLayout:
    """Configuration of one partner report (see ``conf/partners.toml`` for the keys)."""

    name: str
    headers: tuple[tuple[str, tuple[str, ...]], ...]
    amounts: tuple[tuple[str, AmountRule], ...]
    title: str = ""
    delimiter: str = ","
    decimal_separator: str = "auto"
    control: str = CONTROL_GROSS_MINUS_FEES
    row_tolerance: Decimal = Decimal(0)
    fx_tolerance: Decimal = Decimal("0.01")
    payout_types: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    required_values: tuple[str, ...] = ()
    account_headers: tuple[str, ...] = ()
    known_headers: tuple[str, ...] = ()
    detect: tuple[tuple[str, ...], ...] = ()
    implied: tuple[ImpliedValue, ...] = ()

    def header_aliases(self) -> dict[str, tuple[str, ...]]:
        return dict(self.headers)

    def amount_rules(self) -> dict[str, AmountRule]:
        return dict(self.amounts)

    def mapped_fields(self) -> set[str]:
        return {name for name, _ in self.headers} | {name for name, _ in self.amounts}

    def matches_header(self, header: Iterable[str]) -> bool:
        """True when ``header`` contains every name of one of the ``detect`` sets."""
        present = {normalise_header(name) for name in header}
        return any(
            all(normalise_header(name) in present for name in names) for names in self.detect
        )


_LAYOUT_KEYS = frozenset(
    {
        "title",
        "delimiter",
        "decimal_separator",
        "control",
        "row_tolerance",
        "fx_tolerance",
        "payout_types",
        "required",
        "required_values",
        "account_headers",
        "known_headers",
        "detect",
        "headers",
        "amounts",
        "implied",
        "timezone",
    }
)
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class _Config:
    """Reads typed values out of one TOML table, raising ConfigError naming file and key."""

    def __init__(self, source: Path, prefix: str, table: Mapping[str, Any]) -> None:
        self.source = source
        self.prefix = prefix
        self.table = table

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: [{self.prefix}] key {key!r}: {problem}")

    def child(self, key: str) -> _Config:
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table")
        return _Config(self.source, f"{self.prefix}.{key}", value)

    def text(self, key: str, default: str, choices: Sequence[str] = ()) -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {value!r}")
        if choices and value not in choices:
            raise self.error(key, f"must be one of {', '.join(map(repr, choices))}")
        return value

    def names(self, key: str, default: Sequence[str] = ()) -> tuple[str, ...]:
        value = self.table.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"must be a list of non-empty strings, got {value!r}")
        return tuple(value)

    def decimal(self, key: str, default: str) -> Decimal:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(key, f'write it as a decimal string such as "0.01", got {value!r}')
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.error(key, f"{value!r} is not a decimal") from None
        if not number.is_finite() or number < 0:
            raise self.error(key, f"must be a decimal >= 0, got {value!r}")
        return number

    def fields(self, key: str, allowed: Iterable[str]) -> tuple[str, ...]:
        names = self.names(key)
        allowed_set = set(allowed)
        for name in names:
            if name not in allowed_set:
                raise self.error(key, f"unknown field {name!r}; use one of {sorted(allowed_set)}")
        return names


def load_layouts(path: Path) -> dict[str, CsvLayout]:
    """All ``[layouts.<name>]`` tables of the TOML file ``path``; ConfigError if one is bad."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read partner layouts: {exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(document) - {"layouts"})
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}; only [layouts.<name>]")
    tables = document.get("layouts")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path}: no [layouts.<name>] table; add one per partner report")
    return {
        name: _layout(_Config(path, f"layouts.{name}", table), name)
        for name, table in tables.items()
    }


def _layout(config: _Config, name: str) -> CsvLayout:
    if not isinstance(config.table, dict):
        raise ConfigError(f"{config.source}: [layouts] key {name!r}: must be a table")
    if not _NAME.fullmatch(name):
        raise config.error(name, "layout names are lower-case letters, digits and '_'")
    unknown = sorted(set(config.table) - _LAYOUT_KEYS)
    if unknown:
        raise config.error(
            unknown[0], f"unknown key; known keys: {', '.join(sorted(_LAYOUT_KEYS))}"
        )
    layout = CsvLayout(
        name=name,
        headers=_header_aliases(config.child("headers")),
        amounts=_amount_rules(config.child("amounts")),
        title=config.text("title", ""),
        delimiter=_delimiter(config),
        decimal_separator=config.text("decimal_separator", "auto", _DECIMAL_SEPARATORS),
        control=config.text("control", CONTROL_GROSS_MINUS_FEES, _CONTROLS),
        row_tolerance=config.decimal("row_tolerance", "0"),
        fx_tolerance=config.decimal("fx_tolerance", "0.01"),
        payout_types=config.names("payout_types"),
        required=config.fields("required", _FIELDS),
        required_values=config.fields("required_values", _FIELDS),
        account_headers=config.names("account_headers"),
        known_headers=config.names("known_headers"),
        detect=_detect_sets(config),
        implied=_implied(config),
    )
    _check_consistency(config, layout)
    return layout


def _delimiter(config: _Config) -> str:
    delimiter = config.text("delimiter", ",")
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise config.error("delimiter", f"must be one character (not a quote), got {delimiter!r}")
    return delimiter


def _header_aliases(config: _Config) -> tuple[tuple[str, tuple[str, ...]], ...]:
    aliases = []
    for field in config.table:
        if field not in _FIELDS:
            raise config.error(field, f"not a partner column; use one of {list(_FIELDS)}")
        aliases.append((field, config.names(field)))
    return tuple(aliases)


def _amount_rules(config: _Config) -> tuple[tuple[str, AmountRule], ...]:
    rules = []
    for field in config.table:
        if field not in _FIELDS:
            raise config.error(field, f"not a partner column; use one of {list(_FIELDS)}")
        rules.append((field, _amount_rule(config.child(field))))
    return tuple(rules)


def _amount_rule(config: _Config) -> AmountRule:
    keys = frozenset(config.table)
    shapes = {frozenset({"column"}), frozenset({"credit", "debit"}), frozenset({"sum"})}
    if keys not in shapes:
        raise ConfigError(
            f"{config.source}: [{config.prefix}]: write exactly one of "
            "{ column = [...] }, { credit = [...], debit = [...] }, { sum = [...] }"
        )
    return AmountRule(
        column=config.names("column"),
        credit=config.names("credit"),
        debit=config.names("debit"),
        sum_of=config.names("sum"),
    )


def _detect_sets(config: _Config) -> tuple[tuple[str, ...], ...]:
    value = config.table.get("detect", [])
    if not isinstance(value, list):
        raise config.error("detect", "must be a list of header-name lists")
    sets = []
    for position, names in enumerate(value):
        if not isinstance(names, list) or not names:
            raise config.error("detect", f"entry {position} must be a non-empty list of names")
        sets.append(_Config(config.source, config.prefix, {"detect": names}).names("detect"))
    return tuple(sets)


def _implied(config: _Config) -> tuple[ImpliedValue, ...]:
    value = config.table.get("implied", [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise config.error("implied", "must be an array of tables [[layouts.<name>.implied]]")
    implied = []
    for position, item in enumerate(value):
        entry = _Config(config.source, f"{config.prefix}.implied[{position}]", item)
        unknown = sorted(set(item) - {"field", "value", "when_headers"})
        if unknown:
            raise entry.error(unknown[0], "unknown key; use field, value, when_headers")
        field = entry.fields("field", _FIELDS)
        if len(field) != 1:
            raise entry.error("field", "must name exactly one partner column")
        implied.append(ImpliedValue(field[0], entry.text("value", ""), entry.names("when_headers")))
    return tuple(implied)


def _check_consistency(config: _Config, layout: CsvLayout) -> None:
    headers, rules = layout.header_aliases(), layout.amount_rules()
    both = sorted(set(headers) & set(rules))
    if both:
        raise config.error(both[0], "is mapped under both [headers] and [amounts]; keep one")
    for field, rule in rules.items():
        for part in rule.sum_of:
            if part not in rules or rules[part].sum_of:
                raise config.error(
                    f"amounts.{field}", f"sums {part!r}, which needs its own column rule"
                )
    for key in ("required", "required_values"):
        for field in getattr(layout, key):
            if field not in layout.mapped_fields():
                raise config.error(key, f"{field!r} has no [headers] or [amounts] mapping")
    if layout.control == CONTROL_GROSS_MINUS_FEES:
        for field in ("gross_amount", "net_amount", "fee_amount"):
            if field not in rules:
                raise config.error("control", f"needs an [amounts] rule for {field!r}")


@functools.cache
def layouts_at(path: Path) -> Mapping[str, CsvLayout]:
    """The layouts of the file ``path`` (read once per process and path, read-only)."""
    return MappingProxyType(load_layouts(path))


def default_layouts() -> Mapping[str, CsvLayout]:
    """The layouts of ``conf/partners.toml``."""
    return layouts_at(DEFAULT_LAYOUTS_PATH)


Parser = Callable[[bytes, str], ParsedFile]


def parser_for(name: str, path: Path = DEFAULT_LAYOUTS_PATH) -> Parser:
    """The ``parse(data, path)`` function of layout ``name`` of the layouts file ``path``."""
    layouts = layouts_at(path)
    if name not in layouts:
        known = ", ".join(sorted(layouts))
        raise ConfigError(f"{path}: no [layouts.{name}] table; known layouts: {known}")
    layout = layouts[name]

    def parse(data: bytes, path: str) -> ParsedFile:
        return parse_with_layout(data, path, layout)

    parse.__name__ = parse.__qualname__ = f"parse_{name}"
    return parse


# ------------------------------------------------------------------------- header binding


@dataclass(frozen=True)
class _Bound:
    """The layout bound to one file's header: field -> column index."""

    width: int
    keys: tuple[str, ...]
    texts: dict[str, int]
    columns: dict[str, int]  # amount fields with a single column
    credit_debit: dict[str, tuple[int, int]]
    sums: dict[str, tuple[str, ...]]
    accounts: tuple[int, ...]
    implied: dict[str, str]
    headers: tuple[str, ...]

    def amount_columns(self) -> list[int]:
        return [*self.columns.values(), *_flat(self.credit_debit)]


def _find(index: Mapping[str, int], aliases: Iterable[str]) -> int | None:
    for alias in aliases:
        position = index.get(normalise_header(alias))
        if position is not None:
            return position
    return None


def _header_index(header: Sequence[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(normalise_header(name), position)
    return index


def _bind(layout: CsvLayout, header: tuple[str, ...]) -> _Bound:
    index = _header_index(header)
    texts = _bind_texts(layout, index)
    columns, credit_debit, sums = _bind_amounts(layout, index, header)
    bound_fields = set(texts) | set(columns) | set(credit_debit) | set(sums)
    _require(layout, bound_fields, header)
    _reject_ambiguous(header, texts.values(), [*columns.values(), *_flat(credit_debit)])
    return _Bound(
        width=len(header),
        keys=raw_keys(header),
        texts=texts,
        columns=columns,
        credit_debit=credit_debit,
        sums=sums,
        accounts=_bind_accounts(layout, index),
        implied=_bind_implied(layout, index),
        headers=header,
    )


def _bind_accounts(layout: CsvLayout, index: Mapping[str, int]) -> tuple[int, ...]:
    positions = (_find(index, [name]) for name in layout.account_headers)
    return tuple(position for position in positions if position is not None)


def _flat(pairs: Mapping[str, tuple[int, int]]) -> list[int]:
    return [index for pair in pairs.values() for index in pair]


def _bind_texts(layout: CsvLayout, index: Mapping[str, int]) -> dict[str, int]:
    texts = {}
    for field, aliases in layout.headers:
        position = _find(index, aliases)
        if position is not None:
            texts[field] = position
    return texts


def _bind_amounts(
    layout: CsvLayout, index: Mapping[str, int], header: Sequence[str]
) -> tuple[dict[str, int], dict[str, tuple[int, int]], dict[str, tuple[str, ...]]]:
    columns: dict[str, int] = {}
    credit_debit: dict[str, tuple[int, int]] = {}
    sums: dict[str, tuple[str, ...]] = {}
    for field, rule in layout.amounts:
        if rule.column:
            position = _find(index, rule.column)
            if position is not None:
                columns[field] = position
        elif rule.credit:
            pair = _bind_pair(field, rule, index, header)
            if pair is not None:
                credit_debit[field] = pair
    for field, rule in layout.amounts:
        parts = tuple(part for part in rule.sum_of if part in columns or part in credit_debit)
        if parts:
            sums[field] = parts
    return columns, credit_debit, sums


def _bind_pair(
    field: str, rule: AmountRule, index: Mapping[str, int], header: Sequence[str]
) -> tuple[int, int] | None:
    credit, debit = _find(index, rule.credit), _find(index, rule.debit)
    if credit is not None and debit is not None:
        return credit, debit
    if credit is None and debit is None:
        return None
    found, missing = (credit, rule.debit) if credit is not None else (debit, rule.credit)
    assert found is not None
    raise FileRejected(
        f"{field}: header {header[found]!r} is present but its counterpart "
        f"({' or '.join(map(repr, missing))}) is missing"
    )


def _require(layout: CsvLayout, bound: set[str], header: Sequence[str]) -> None:
    aliases = layout.header_aliases()
    rules = layout.amount_rules()
    for field in layout.required:
        if field in bound:
            continue
        expected = aliases.get(field) or rules[field].headers or rules[field].sum_of
        shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
        raise FileRejected(
            f"not in the {layout.name} layout: no column for {field} "
            f"(expected header {' or '.join(map(repr, expected))}); header is: {shown}"
        )


def _reject_ambiguous(header: Sequence[str], *groups: Iterable[int]) -> None:
    counts = Counter(normalise_header(name) for name in header)
    for position in {p for group in groups for p in group}:
        if counts[normalise_header(header[position])] > 1:
            raise FileRejected(f"header {header[position]!r} appears more than once")


def _bind_implied(layout: CsvLayout, index: Mapping[str, int]) -> dict[str, str]:
    return {
        item.field: item.value
        for item in layout.implied
        if _find(index, item.when_headers) is not None
    }


# ---------------------------------------------------------------------------- row parsing


@dataclass(frozen=True)
class _Row:
    """A parsed row with its amounts as Decimals (for controls and totals)."""

    number: int
    values: dict[str, str | None]
    amounts: dict[str, Decimal | None]
    accounts: tuple[str, ...]


_ISO_DATE_PREFIX = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ].*)?", re.ASCII)


def _amount(fields: Sequence[str], position: int, header: str, decimal: str) -> Decimal | None:
    cell = fields[position]
    if not cell.strip():
        return None
    try:
        return parse_decimal(cell, decimal)
    except ValueError:
        raise RowError(f"{header} {cell.strip()!r} is not a decimal amount") from None


def _row_amounts(fields: Sequence[str], bound: _Bound, decimal: str) -> dict[str, Decimal | None]:
    def cell(position: int) -> Decimal | None:
        return _amount(fields, position, bound.headers[position], decimal)

    amounts: dict[str, Decimal | None] = {f: cell(p) for f, p in bound.columns.items()}
    for field, (credit_at, debit_at) in bound.credit_debit.items():
        credit, debit = cell(credit_at), cell(debit_at)
        amounts[field] = _credit_minus_debit(credit, debit)
    for field, parts in bound.sums.items():
        amounts[field] = _sum_present(amounts[part] for part in parts)
    return amounts


def _credit_minus_debit(credit: Decimal | None, debit: Decimal | None) -> Decimal | None:
    if credit is None:
        return None if debit is None else -debit
    return credit if debit is None else credit - debit


def _row_texts(fields: Sequence[str], bound: _Bound) -> dict[str, str | None]:
    values: dict[str, str | None] = dict.fromkeys(PARTNER_COLUMNS)
    values.update(bound.implied)
    for field, position in bound.texts.items():
        values[field] = text_value(fields[position])
    date = values.get("value_date")
    if date is not None:
        match = _ISO_DATE_PREFIX.fullmatch(date)
        values["value_date"] = match.group(1) if match else date
    return values


def _parse_row(record: CsvRecord, bound: _Bound, layout: CsvLayout, decimal: str) -> _Row:
    fields = fit_record(record, bound.width)
    with localcontext(MONEY_CONTEXT):
        amounts = _row_amounts(fields, bound, decimal)
    values = _row_texts(fields, bound)
    for field, amount in amounts.items():
        values[field] = None if amount is None else format_decimal(amount)
    for field in layout.required_values:
        if values.get(field) is None:
            raise RowError(f"no value for {field}")
    values["raw"] = json.dumps(dict(zip(bound.keys, fields, strict=True)), ensure_ascii=False)
    accounts = (text_value(fields[position]) for position in bound.accounts)
    return _Row(record.number, values, amounts, tuple(a for a in accounts if a is not None))


# ------------------------------------------------------------------------------- controls


def _cross_currency(gross_currency: str | None, net_currency: str | None) -> bool:
    return (
        gross_currency is not None
        and net_currency is not None
        and gross_currency.upper() != net_currency.upper()
    )


def _currencies_differ(row: _Row) -> bool:
    return _cross_currency(row.values["gross_currency"], row.values["net_currency"])


def _lacks_fx_rate(cross: bool, gross: Decimal | None, rate: Decimal | None) -> bool:
    """A cross-currency row with a gross amount but no positive exchange rate."""
    return cross and gross is not None and (rate is None or rate <= 0)


def _check_fx_rate(row: _Row) -> None:
    """RowError when a cross-currency row has no usable exchange rate."""
    if _lacks_fx_rate(
        _currencies_differ(row), row.amounts.get("gross_amount"), row.amounts.get("exchange_rate")
    ):
        raise RowError(
            f"gross currency {row.values['gross_currency']} differs from net currency "
            f"{row.values['net_currency']} and there is no positive exchange rate"
        )


def _ties(
    gross: Decimal, fees: Decimal, net: Decimal, rate: Decimal | None, layout: CsvLayout
) -> bool:
    """gross - fees = net within the row tolerance, or, with a ``rate`` (currencies
    differ), gross x rate - fees = net within the FX tolerance."""
    if rate is not None:
        return abs(gross * rate - fees - net) <= layout.fx_tolerance
    return abs(gross - fees - net) <= layout.row_tolerance


def _tie_violation(row: _Row, layout: CsvLayout) -> str | None:
    """Why the row's gross, fees and net do not tie, or None when they do."""
    gross, net = row.amounts.get("gross_amount"), row.amounts.get("net_amount")
    if gross is None or net is None:
        return None
    fees = row.amounts.get("fee_amount") or Decimal(0)
    cross = _currencies_differ(row)
    rate = row.amounts.get("exchange_rate") if cross else None
    assert rate is not None or not cross  # guaranteed by _check_fx_rate
    if _ties(gross, fees, net, rate, layout):
        return None
    reference = row.values.get("psp_reference") or "-"
    if rate is not None:
        return (
            f"row {row.number} (psp reference {reference}): gross {format_decimal(gross)} "
            f"{row.values['gross_currency']} x exchange rate {format_decimal(rate)} - fees "
            f"{format_decimal(fees)} = {format_decimal(gross * rate - fees)}, but net is "
            f"{format_decimal(net)} {row.values['net_currency']} "
            f"(tolerance {format_decimal(layout.fx_tolerance)})"
        )
    return (
        f"row {row.number} (psp reference {reference}): gross {format_decimal(gross)} - fees "
        f"{format_decimal(fees)} != net {format_decimal(net)} "
        f"(off by {format_decimal(gross - fees - net)})"
    )


def _check_ties(rows: Sequence[_Row], layout: CsvLayout) -> None:
    if layout.control != CONTROL_GROSS_MINUS_FEES:
        return
    with localcontext(MONEY_CONTEXT):
        violations = [v for v in (_tie_violation(row, layout) for row in rows) if v]
    if violations:
        more = f" (and {len(violations) - 1} more rows)" if len(violations) > 1 else ""
        raise FileRejected(f"amounts do not tie: {violations[0]}{more}")


BatchKey = tuple[str | None, str | None]  # (batch_id, net_currency)


def _paid_out_batches(
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


def _check_batches(rows: Sequence[_Row], layout: CsvLayout, quarantined: int) -> list[str]:
    """Reject when a paid-out batch does not net to zero; warnings when it cannot be checked."""
    if not layout.payout_types:
        return []
    closed = _paid_out_batches(
        ((row.values["batch_id"], row.values["net_currency"]) for row in rows),
        (row.values["record_type"] for row in rows),
        (row.amounts.get("net_amount") for row in rows),
        layout,
    )
    if closed and quarantined:
        return [f"batch net-zero check skipped: {quarantined} rows quarantined"]
    for (batch, currency), (total, count) in closed.items():
        if total != 0:
            raise FileRejected(
                f"batch {batch or '-'} ({currency or 'no currency'}): net of all {count} rows "
                f"including the payout sums to {format_decimal(total)}, expected 0"
            )
    return []


# ---------------------------------------------------------------------------------- parse


def parse_with_layout(
    data: bytes, path: str, layout: CsvLayout, *, column_wise: bool = True
) -> ParsedFile:
    """Parse one partner report with ``layout`` (see the module docstring for guarantees).

    A clean file is parsed column by column into ``ParsedFile.table``; ``column_wise=False``
    forces the row parser (the reference the column-wise result is tested against).
    """
    with rejecting(path):
        return _parse(data, layout, column_wise)


def _parse(data: bytes, layout: CsvLayout, column_wise: bool) -> ParsedFile:
    table = read_csv(data, layout.delimiter)
    bound = _bind(layout, table.header)
    cells = _cells(table, bound.width) if column_wise else None
    decimal, decimal_warnings = _file_decimal(table, bound, layout, cells)
    warnings = [*table.warnings, *_unknown_headers(layout, table.header), *decimal_warnings]
    columns = (
        None
        if cells is None
        else parse_columns(
            table, cells, bound, layout, decimal, plain=not _ESCAPED_BYTES.search(data)
        )
    )
    if columns is not None:
        return _columns_result(layout, table, columns, warnings)
    rows: list[_Row] = []
    quarantine: list[QuarantinedRow] = []
    for record in table.records:
        try:
            row = _parse_row(record, bound, layout, decimal)
            _check_fx_rate(row)
        except RowError as exc:
            text = record_text(record.fields, layout.delimiter)
            quarantine.append(QuarantinedRow(record.number, text, str(exc)))
        else:
            rows.append(row)
    _check_ties(rows, layout)
    batch_warnings = _check_batches(rows, layout, len(quarantine))
    return _result(layout, table, rows, quarantine, [*warnings, *batch_warnings])


def _file_decimal(
    table: CsvTable, bound: _Bound, layout: CsvLayout, cells: Sequence[tuple[str, ...]] | None
) -> tuple[str, list[str]]:
    if layout.decimal_separator != "auto":
        return layout.decimal_separator, []
    positions = bound.amount_columns()
    if cells is not None:
        counts: Counter[str] = Counter()
        for position in positions:
            counts.update(cells[position])
        return _separator_of(counts)
    return detect_decimal_separator(
        record.fields[position]
        for record in table.records
        for position in positions
        if position < len(record.fields)
    )


def _unknown_headers(layout: CsvLayout, header: Sequence[str]) -> list[str]:
    if not layout.known_headers:
        return []
    patterns = [normalise_header(name) for name in layout.known_headers]
    unknown = [
        name
        for name in header
        if name and not any(fnmatch.fnmatchcase(normalise_header(name), p) for p in patterns)
    ]
    if not unknown:
        return []
    shown = ", ".join(unknown[:10]) + (
        f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    )
    return [f"columns not in the {layout.name} layout (kept in raw only): {shown}"]


def _result(
    layout: CsvLayout,
    table: CsvTable,
    rows: Sequence[_Row],
    quarantine: list[QuarantinedRow],
    warnings: list[str],
) -> ParsedFile:
    return ParsedFile(
        format=layout.name,
        columns=PARTNER_COLUMNS,
        rows=[ParsedRow(row.number, row.values) for row in rows],
        quarantine=quarantine,
        entries=len(table.records),
        accounts=list(dict.fromkeys(a for row in rows for a in row.accounts)),
        currencies=_currencies(_text_columns(rows, _CURRENCY_FIELDS)),
        totals=_totals(rows),
        warnings=warnings,
    )


_CURRENCY_FIELDS = ("gross_currency", "net_currency")


def _currencies(values: Mapping[str, list[str | None]]) -> list[str]:
    """Every gross and net currency the rows name (``values``: columns by field)."""
    return sorted({c for field in _CURRENCY_FIELDS for c in values[field] if c is not None})


# (kind, amount field, currency field) of ParsedFile.totals
_TOTAL_KINDS = (
    ("gross", "gross_amount", "gross_currency"),
    ("fee", "fee_amount", "net_currency"),
    ("net", "net_amount", "net_currency"),
)
_TOTAL_AMOUNTS = tuple(amount for _, amount, _ in _TOTAL_KINDS)


def _totals(rows: Sequence[_Row]) -> dict[str, str]:
    """Sums per kind and currency: ``gross:USD``, ``fee:EUR``, ``net:EUR``."""
    amounts = {field: [row.amounts.get(field) for row in rows] for field in _TOTAL_AMOUNTS}
    return _column_totals(_text_columns(rows, _CURRENCY_FIELDS), amounts)


def _text_columns(rows: Sequence[_Row], fields: Iterable[str]) -> dict[str, list[str | None]]:
    return {field: [row.values.get(field) for row in rows] for field in fields}


# ----------------------------------------------------------------------- column-wise parse
# Row by row, a 367k-row Adyen report took 18 s in per-row dicts, Decimal contexts and
# json.dumps. Column by column the same checks and the same Decimal arithmetic run in
# tight loops over each distinct text, and ``raw`` is joined by Arrow. A file with any
# row the row parser would quarantine, or that it would reject, goes to the row
# parser, which words the reason: the column-wise result is only ever a clean file's.

# json.dumps(ensure_ascii=False) escapes exactly these characters
_JSON_ESCAPED = r'[\x00-\x1f"\\]'
# Line ends aside, the same bytes in the file: without them no cell needs escaping (a
# cell holds a line end only inside quotes).
_ESCAPED_BYTES = re.compile(rb'[\x00-\x09\x0b\x0c\x0e-\x1f"\\]')


@dataclass(frozen=True)
class _Columns:
    """A clean file column by column: texts and amounts as the row parser makes them."""

    numbers: list[int]
    values: dict[str, list[str | None]]
    amounts: dict[str, list[Decimal | None]]
    accounts: list[str]
    raw: pa.Array


def _cells(table: CsvTable, width: int) -> list[tuple[str, ...]] | None:
    """The data rows column by column, or None when a row is short or has extra values
    (the row parser quarantines it)."""
    fields = [record.fields for record in table.records]
    if not fields:
        return None
    if any(len(row) != width for row in fields):
        if any(len(row) < width or not _is_blank(row[width:]) for row in fields):
            return None
        fields = [row[:width] for row in fields]
    return list(zip(*fields, strict=True))


def parse_columns(
    table: CsvTable,
    cells: Sequence[tuple[str, ...]],
    bound: _Bound,
    layout: CsvLayout,
    decimal: str,
    plain: bool,
) -> _Columns | None:
    """``table`` parsed from its ``cells`` (column by column), or None when a row needs
    the row parser. ``plain``: the file holds no character JSON escapes.

    When it returns columns, the row parser accepts every row with the same values,
    amounts and accounts, and the file passes its controls (tested on random files).
    """
    records = table.records
    amounts = _column_amounts(cells, bound, decimal)
    if amounts is None:
        return None
    values = _column_values(cells, bound, amounts, len(records))
    if any(None in values[field] for field in layout.required_values if field in values):
        return None
    if not _columns_pass_controls(values, amounts, layout):
        return None
    return _Columns(
        numbers=[record.number for record in records],
        values=values,
        amounts=amounts,
        accounts=_column_accounts(cells, bound),
        raw=_raw_json(cells, bound.keys, plain),
    )


def _column_amounts(
    cells: Sequence[tuple[str, ...]], bound: _Bound, decimal: str
) -> dict[str, list[Decimal | None]] | None:
    by_position: dict[int, list[Decimal | None]] = {}
    for position in set(bound.amount_columns()):
        column = cells[position]
        known: dict[str, Decimal | None] = {}
        for text in set(column):
            try:
                known[text] = parse_decimal(text, decimal) if text.strip() else None
            except ValueError:
                return None
        by_position[position] = [known[text] for text in column]
    amounts = {field: by_position[position] for field, position in bound.columns.items()}
    with localcontext(MONEY_CONTEXT):
        for field, (credit_at, debit_at) in bound.credit_debit.items():
            pairs = zip(by_position[credit_at], by_position[debit_at], strict=True)
            amounts[field] = [_credit_minus_debit(credit, debit) for credit, debit in pairs]
        for field, parts in bound.sums.items():
            rows = zip(*(amounts[part] for part in parts), strict=True)
            amounts[field] = [_sum_present(row) for row in rows]
    return amounts


def _sum_present(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [value for value in values if value is not None]
    return sum(present, Decimal(0)) if present else None


def _column_values(
    cells: Sequence[tuple[str, ...]],
    bound: _Bound,
    amounts: Mapping[str, list[Decimal | None]],
    size: int,
) -> dict[str, list[str | None]]:
    values: dict[str, list[str | None]] = {field: [None] * size for field in _FIELDS}
    for field, constant in bound.implied.items():
        values[field] = [constant] * size
    for field, position in bound.texts.items():
        values[field] = [text.strip() or None for text in cells[position]]
    dates = {text: _date_part(text) for text in set(values["value_date"])}
    values["value_date"] = [dates[text] for text in values["value_date"]]
    for field, column in amounts.items():
        values[field] = [None if amount is None else format_decimal(amount) for amount in column]
    return values


def _date_part(text: str | None) -> str | None:
    match = _ISO_DATE_PREFIX.fullmatch(text) if text is not None else None
    return match.group(1) if match else text


def _columns_pass_controls(
    values: Mapping[str, list[str | None]],
    amounts: Mapping[str, list[Decimal | None]],
    layout: CsvLayout,
) -> bool:
    """The checks of ``_check_fx_rate``, ``_check_ties`` and ``_check_batches``."""
    size = len(values["record_type"])
    missing: list[Decimal | None] = [None] * size
    gross = amounts.get("gross_amount", missing)
    net = amounts.get("net_amount", missing)
    fees = amounts.get("fee_amount", missing)
    rates = amounts.get("exchange_rate", missing)
    currencies = zip(values["gross_currency"], values["net_currency"], strict=True)
    cross = [_cross_currency(g, n) for g, n in currencies]
    if any(_lacks_fx_rate(cross[i], gross[i], rates[i]) for i in range(size)):
        return False  # quarantined row by row
    if layout.control == CONTROL_GROSS_MINUS_FEES:
        with localcontext(MONEY_CONTEXT):
            for i in range(size):
                row_gross, row_net = gross[i], net[i]
                if row_gross is None or row_net is None:
                    continue
                fee = fees[i] or Decimal(0)
                if not _ties(row_gross, fee, row_net, rates[i] if cross[i] else None, layout):
                    return False
    if not layout.payout_types:
        return True
    keys = zip(values["batch_id"], values["net_currency"], strict=True)
    batches = _paid_out_batches(keys, values["record_type"], net, layout)
    return all(total == 0 for total, _ in batches.values())


def _column_accounts(cells: Sequence[tuple[str, ...]], bound: _Bound) -> list[str]:
    if not bound.accounts:
        return []
    rows = zip(*(cells[position] for position in bound.accounts), strict=True)
    return list(dict.fromkeys(text.strip() for row in rows for text in row if text.strip()))


def _raw_json(cells: Sequence[tuple[str, ...]], keys: Sequence[str], plain: bool) -> pa.Array:
    """``json.dumps({key: cell}, ensure_ascii=False)`` of every row, joined by Arrow
    (``plain``: no cell holds a character JSON escapes)."""
    pieces: list[pa.Array | str] = []
    for number, (key, column) in enumerate(zip(keys, cells, strict=True)):
        prefix = ("{" if number == 0 else ", ") + json.dumps(key, ensure_ascii=False) + ": "
        array = pa.array(column, pa.string())
        if not plain and pc.any(pc.match_substring_regex(array, _JSON_ESCAPED)).as_py():
            escaped = [json.dumps(text, ensure_ascii=False) for text in column]
            pieces += [prefix, pa.array(escaped, pa.string())]
        else:
            pieces += [prefix + '"', array, '"']
    pieces.append("}")
    return pc.binary_join_element_wise(*pieces, "")


def _columns_result(
    layout: CsvLayout, table: CsvTable, columns: _Columns, warnings: list[str]
) -> ParsedFile:
    values = columns.values
    arrays = [pa.array(columns.numbers, pa.int32())]
    arrays += [pa.array(values[field], pa.string()) for field in _FIELDS]
    rows = pa.Table.from_arrays([*arrays, columns.raw], schema=rows_schema(PARTNER_COLUMNS))
    return ParsedFile(
        format=layout.name,
        columns=PARTNER_COLUMNS,
        entries=len(table.records),
        accounts=columns.accounts,
        currencies=_currencies(values),
        totals=_column_totals(values, columns.amounts),
        warnings=warnings,
        table=rows,
    )


def _column_totals(
    values: Mapping[str, list[str | None]], amounts: Mapping[str, list[Decimal | None]]
) -> dict[str, str]:
    """``_totals`` of the rows given column by column."""
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
