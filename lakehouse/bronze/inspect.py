"""``lakehouse inspect``: detect and parse one file, without Spark, and summarise it.

Guarantees of :func:`inspect_file`:

* Never raises for a bad file: an unreadable path, an unrecognised format, a
  :class:`FileRejected` and ANY other exception of a parser (reported as
  ``"parser error: <type>: <message>"``) all give a ``"rejected"`` summary.
* The summary always has the keys ``path, format, status, entries, accounts,
  currencies, totals, warnings, reason``; ``reason`` is ``None`` exactly when the
  status is ``"ok"``, ``format`` is ``None`` when detection failed.
* The exit code is :data:`EXIT_ACCEPTED` (0) for ``"ok"`` and :data:`EXIT_REJECTED`
  (2) for ``"rejected"``. Quarantined rows do not reject a file; they are listed in
  ``warnings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lakehouse.bronze.formats import get_parser
from lakehouse.bronze.formats.base import FileRejected, ParsedFile
from lakehouse.bronze.formats.detect import detect_format
from lakehouse.feed_formats import DEFAULT_LAYOUTS_PATH

__all__ = ["EXIT_ACCEPTED", "EXIT_REJECTED", "inspect_file", "render_text"]

EXIT_ACCEPTED = 0
EXIT_REJECTED = 2
_MAX_REASON = 500
_QUARANTINE_SHOWN = 5


def inspect_file(path: Path, layouts: Path = DEFAULT_LAYOUTS_PATH) -> tuple[dict[str, Any], int]:
    """Summary of ``path`` and the exit code (0 accepted, 2 rejected); ``layouts`` is the
    partner layouts file (``Settings.partner_layouts``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _rejected(path, None, f"cannot read file: {exc}")
    try:
        fmt = detect_format(data, str(path), layouts)
    except FileRejected as exc:
        return _rejected(path, None, exc.reason)
    except Exception as exc:
        return _rejected(path, None, f"format detection error: {_describe(exc)}")
    try:
        return _accepted(path, fmt, get_parser(fmt, layouts)(data, str(path)))
    except FileRejected as exc:
        return _rejected(path, fmt, exc.reason)
    except Exception as exc:
        return _rejected(path, fmt, f"parser error: {_describe(exc)}")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 3] + "..."


def _summary(path: Path, fmt: str | None, status: str, reason: str | None) -> dict[str, Any]:
    return {
        "path": str(path),
        "format": fmt,
        "status": status,
        "entries": 0,
        "accounts": [],
        "currencies": [],
        "totals": {},
        "warnings": [],
        "reason": reason,
    }


def _rejected(path: Path, fmt: str | None, reason: str) -> tuple[dict[str, Any], int]:
    return _summary(path, fmt, "rejected", _one_line(reason)), EXIT_REJECTED


def _accepted(path: Path, fmt: str, parsed: ParsedFile) -> tuple[dict[str, Any], int]:
    summary = _summary(path, fmt, "ok", None)
    summary.update(
        entries=int(parsed.entries),
        accounts=[str(account) for account in parsed.accounts],
        currencies=[str(currency) for currency in parsed.currencies],
        totals={str(key): str(value) for key, value in parsed.totals.items()},
        warnings=[str(w) for w in parsed.warnings] + _quarantine_warnings(parsed),
    )
    return summary, EXIT_ACCEPTED


def _quarantine_warnings(parsed: ParsedFile) -> list[str]:
    if not parsed.quarantine:
        return []
    shown = [f"row {q.row_number}: {q.reason}" for q in parsed.quarantine[:_QUARANTINE_SHOWN]]
    more = len(parsed.quarantine) - len(shown)
    suffix = f"; and {more} more" if more else ""
    return [f"{len(parsed.quarantine)} rows quarantined: {'; '.join(shown)}{suffix}"]


def render_text(summary: dict[str, Any]) -> str:
    """The summary for people: one ``label: value`` line per key, lists comma-joined."""
    lines = [
        f"path:       {summary.get('path')}",
        f"format:     {summary.get('format') or 'unrecognised'}",
        f"status:     {summary.get('status')}",
    ]
    if summary.get("status") != "ok":
        lines.append(f"reason:     {summary.get('reason')}")
        return "\n".join(lines)
    totals = summary.get("totals") or {}
    lines += [
        f"entries:    {summary.get('entries')}",
        f"accounts:   {', '.join(summary.get('accounts') or []) or '-'}",
        f"currencies: {', '.join(summary.get('currencies') or []) or '-'}",
        f"totals:     {', '.join(f'{k}={v}' for k, v in totals.items()) or '-'}",
    ]
    warnings = summary.get("warnings") or []
    lines.append(f"warnings:   {len(warnings) or 'none'}")
    lines += [f"  - {warning}" for warning in warnings]
    return "\n".join(lines)
