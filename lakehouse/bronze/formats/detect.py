"""Content sniffing: which parser a landed file needs, from its bytes (never its name).

Guarantees of :func:`detect_format`:

* Pure apart from reading the partner layouts file once (partner layouts name the CSV
  headers that identify them); looks only at the first 64 KiB.
* Returns a format name of :func:`lakehouse.feed_formats.feed_formats` or raises
  :class:`FileRejected` ``"unrecognised format: <what was seen>; expected one of: ..."``.
* Checks, in order: camt XML (the ``Document`` namespace ``camt.053`` / ``camt.054``,
  else the ``BkToCstmrStmt`` / ``BkToCstmrDbtCdtNtfctn`` element: the content decides,
  not the file name), BAI2 (``01,``), NACHA (``101`` file header or ``5`` batch
  header, records of at most 94 characters), MT940 (``{1:`` block, ``:940:`` or
  ``:20:`` with statement tags), JSON lines (manual decisions), then CSV by header
  names: a partner layout's ``detect`` header sets, then the ledger export.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from lakehouse.bronze.formats.base import LEDGER_COLUMNS, FileRejected
from lakehouse.bronze.formats.csv_text import normalise_header
from lakehouse.bronze.formats.partner_layout import layouts_at
from lakehouse.feed_formats import DEFAULT_LAYOUTS_PATH, feed_formats

__all__ = ["detect_format"]

_HEAD_BYTES = 64 * 1024
_NACHA_WIDTH = 94
_NACHA_RECORD_TYPES = frozenset("156789")
_CAMT_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.05([34])\.")
_CAMT_ROOTS = (("BkToCstmrStmt", "camt053"), ("BkToCstmrDbtCdtNtfctn", "camt054"))
_MT940_STATEMENT_TAG = re.compile(r"^:(?:25|28C?|60[FM]|61|62[FM]):", re.MULTILINE)
_MT940_REFERENCE = re.compile(r"^:20:", re.MULTILINE)


def detect_format(data: bytes, path: str, layouts: Path = DEFAULT_LAYOUTS_PATH) -> str:
    """The format name of ``data``; FileRejected when no known format matches.

    ``layouts`` is the partner layouts file whose ``detect`` header sets are tried.
    """
    text = _head_text(data)
    lines = [line.rstrip("\r") for line in text.splitlines() if line.strip()]
    if not lines:
        raise _unrecognised("empty file", path, layouts)
    sniffers: tuple[Callable[[str, Sequence[str]], str | None], ...] = (
        _camt,
        _bai2,
        _nacha,
        _mt940,
        _json_lines,
        partial(_csv, layouts=layouts),
    )
    for sniff in sniffers:
        found = sniff(text, lines)
        if found:
            return found
    raise _unrecognised(_describe(lines), path, layouts)


def _head_text(data: bytes) -> str:
    head = data[:_HEAD_BYTES].removeprefix(b"\xef\xbb\xbf")
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def _unrecognised(seen: str, path: str, layouts: Path) -> FileRejected:
    expected = ", ".join(sorted(feed_formats(layouts)))
    return FileRejected(f"unrecognised format: {seen}; expected one of: {expected}", path=path)


def _describe(lines: Sequence[str]) -> str:
    first = lines[0].strip()
    if first.startswith("<"):
        return "XML without a camt.053 / camt.054 Document"
    preview = first[:80] + ("..." if len(first) > 80 else "")
    return f"first line {preview!r}"


def _camt(text: str, lines: Sequence[str]) -> str | None:
    if not lines[0].lstrip().startswith("<"):
        return None
    namespace = _CAMT_NAMESPACE.search(text)
    if namespace:
        return f"camt05{namespace.group(1)}"
    for element, name in _CAMT_ROOTS:
        if re.search(rf"<(?:\w+:)?{element}[\s/>]", text):
            return name
    return None


def _json_lines(text: str, lines: Sequence[str]) -> str | None:
    return "manual_decisions" if lines[0].lstrip().startswith("{") else None


def _bai2(text: str, lines: Sequence[str]) -> str | None:
    return "bai2" if lines[0].lstrip().startswith("01,") else None


def _nacha(text: str, lines: Sequence[str]) -> str | None:
    if len(lines) == 1 and len(lines[0]) > _NACHA_WIDTH:
        line = lines[0]  # records without line breaks: split every 94 characters
        lines = [line[i : i + _NACHA_WIDTH] for i in range(0, len(line), _NACHA_WIDTH)]
    first = lines[0]
    header = first.startswith("101") or (first.startswith("5") and _has_entry(lines))
    fits = all(
        len(line.rstrip()) <= _NACHA_WIDTH and line[:1] in _NACHA_RECORD_TYPES for line in lines
    )
    return "nacha" if header and fits and len(lines) > 1 else None


def _has_entry(lines: Sequence[str]) -> bool:
    return any(line.startswith("6") for line in lines)


def _mt940(text: str, lines: Sequence[str]) -> str | None:
    first = lines[0].strip()
    if first.startswith("{1:") or first == ":940:":
        return "mt940"
    if _MT940_REFERENCE.search(text) and _MT940_STATEMENT_TAG.search(text):
        return "mt940"
    return None


def _csv(text: str, lines: Sequence[str], layouts: Path) -> str | None:
    for layout in layouts_at(layouts).values():
        if layout.matches_header(_header(lines[0], layout.delimiter)):
            return layout.name
    return "ledger" if _is_ledger_header(_header(lines[0], ",")) else None


def _header(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def _is_ledger_header(header: Sequence[str]) -> bool:
    """The ledger export: ``entry_id`` and most other ledger columns (the parser names
    the missing ones)."""
    names = {normalise_header(name) for name in header}
    return "entry_id" in names and len(names & set(LEDGER_COLUMNS)) * 2 > len(LEDGER_COLUMNS)
