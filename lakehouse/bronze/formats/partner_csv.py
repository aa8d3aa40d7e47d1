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

Modules: :mod:`~lakehouse.bronze.formats.partner_layout` (the layouts file),
:mod:`~lakehouse.bronze.formats.partner_header` (a layout bound to a header),
:mod:`~lakehouse.bronze.formats.partner_rows` (the row path, the reference),
:mod:`~lakehouse.bronze.formats.partner_columns` (the column path, for clean files),
:mod:`~lakehouse.bronze.formats.partner_controls` (the arithmetic both share) and the
CSV text toolkit :mod:`~lakehouse.bronze.formats.csv_text`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from lakehouse.bronze.formats.base import ParsedFile, rejecting
from lakehouse.bronze.formats.csv_text import (
    CsvTable,
    detect_decimal_separator,
    format_decimal,
    parse_decimal,
    read_csv,
    separator_of_counts,
)
from lakehouse.bronze.formats.partner_columns import ESCAPED_BYTES, column_cells, parse_columns
from lakehouse.bronze.formats.partner_header import Bound, bind, unknown_headers
from lakehouse.bronze.formats.partner_layout import (
    CsvLayout,
    default_layouts,
    layouts_at,
    load_layouts,
)
from lakehouse.bronze.formats.partner_rows import parse_rows
from lakehouse.errors import ConfigError
from lakehouse.feed_formats import DEFAULT_LAYOUTS_PATH

__all__ = [
    "DEFAULT_LAYOUTS_PATH",
    "CsvLayout",
    "Parser",
    "default_layouts",
    "detect_decimal_separator",
    "format_decimal",
    "layouts_at",
    "load_layouts",
    "parse_decimal",
    "parse_with_layout",
    "parser_for",
]

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


def parse_with_layout(
    data: bytes, path: str, layout: CsvLayout, *, column_wise: bool = True
) -> ParsedFile:
    """Parse one partner report with ``layout`` (see the module docstring for guarantees).

    A clean file is parsed column by column into ``ParsedFile.table``; ``column_wise=False``
    forces the row path (the reference the column-wise result is tested against).
    """
    with rejecting(path):
        return _parse(data, layout, column_wise)


def _parse(data: bytes, layout: CsvLayout, column_wise: bool) -> ParsedFile:
    table = read_csv(data, layout.delimiter)
    bound = bind(layout, table.header)
    cells = column_cells(table, bound.width) if column_wise else None
    decimal, decimal_warnings = _file_decimal(table, bound, layout, cells)
    warnings = [*table.warnings, *unknown_headers(layout, table.header), *decimal_warnings]
    if cells is not None:
        plain = not ESCAPED_BYTES.search(data)
        parsed = parse_columns(table, cells, bound, layout, decimal, plain=plain, warnings=warnings)
        if parsed is not None:
            return parsed
    return parse_rows(table, bound, layout, decimal, warnings)


def _file_decimal(
    table: CsvTable, bound: Bound, layout: CsvLayout, cells: Sequence[tuple[str, ...]] | None
) -> tuple[str, list[str]]:
    if layout.decimal_separator != "auto":
        return layout.decimal_separator, []
    positions = bound.amount_columns()
    if cells is not None:
        counts: Counter[str] = Counter()
        for position in positions:
            counts.update(cells[position])
        return separator_of_counts(counts)
    return detect_decimal_separator(
        record.fields[position]
        for record in table.records
        for position in positions
        if position < len(record.fields)
    )
