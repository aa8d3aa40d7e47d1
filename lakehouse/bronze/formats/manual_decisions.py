"""Parser for operator decisions landed as JSON lines (one object per line).

Guarantees of :func:`parse`:

* Pure ``bytes -> ParsedFile``; no I/O.
* The file must be UTF-8 (a BOM is allowed) and its first non-empty line a JSON object;
  otherwise the whole file is rejected (it is not a decisions file).
* Every further non-empty line becomes exactly one ParsedRow or QuarantinedRow
  (``row_number`` = 1-based index among the non-empty lines; empty lines are skipped).
* A line is quarantined, with the reason, when it is not a JSON object, lacks one of
  MANUAL_DECISION_COLUMNS but the optional ``owner`` / ``status`` / ``amount`` (null
  when absent), has ``action`` not in ACTIONS, an ``amount`` that is not a decimal
  string or integer (money is never a JSON float), a ``status`` not in STATUSES,
  has a blank ``decision_id`` / ``decided_by`` / ``decided_at``, a ``decided_at`` that is
  not an ISO-8601 timestamp, ``left_ids`` / ``right_ids`` that are not arrays of
  non-empty ids without commas, or ``leg`` / ``item_id`` / ``reason`` that are neither a
  string nor null. Keys outside MANUAL_DECISION_COLUMNS are ignored with a warning.
* ``left_ids`` / ``right_ids`` are stored comma-joined (``["a","b"]`` -> ``"a,b"``); an
  empty array is stored as ``None``. Numbers used as ids are stored as their JSON text.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from lakehouse.bronze.formats.base import (
    MANUAL_DECISION_COLUMNS,
    FileRejected,
    ParsedFile,
    ParsedRow,
    QuarantinedRow,
    RowError,
    decode_text,
    rejecting,
)
from lakehouse.bronze.formats.csv_text import is_iso_timestamp

__all__ = ["ACTIONS", "QUEUE_ACTIONS", "STATUSES", "parse"]

FORMAT = "manual_decisions"
# match / unmatch / write_off / adjust change item states; the queue actions only the
# exception queue's owner, status and notes
QUEUE_ACTIONS: tuple[str, ...] = ("assign", "comment", "status")
ACTIONS: tuple[str, ...] = ("match", "unmatch", "write_off", "adjust", *QUEUE_ACTIONS)
# statuses an operator sets; RESOLVED is set by the run that applies a resolution
STATUSES: tuple[str, ...] = ("OPEN", "ASSIGNED", "PENDING_RESOLUTION")
_REQUIRED_TEXT = ("decision_id", "decided_by", "decided_at")
_OPTIONAL_TEXT = ("leg", "item_id", "reason", "owner")
_OPTIONAL_KEYS = ("owner", "status", "amount")
_AMOUNT = re.compile(r"-?\d{1,16}(\.\d{1,2})?")
_ID_LISTS = ("left_ids", "right_ids")


def parse(data: bytes, path: str) -> ParsedFile:
    """Parse one JSON-lines decisions file (see the module docstring for guarantees)."""
    with rejecting(path):
        return _parse(data)


def _parse(data: bytes) -> ParsedFile:
    lines = list(_non_empty_lines(decode_text(data, utf8_only=True)[0]))
    if not lines:
        raise FileRejected("empty file: no JSON lines")
    _check_first_line(lines[0])
    parsed = ParsedFile(format=FORMAT, columns=MANUAL_DECISION_COLUMNS, entries=len(lines))
    extra_keys: Counter[str] = Counter()
    for number, line in enumerate(lines, start=1):
        try:
            document = _object(line)
            extra_keys.update(set(document) - set(MANUAL_DECISION_COLUMNS))
            parsed.rows.append(ParsedRow(number, _values(document)))
        except RowError as exc:
            parsed.quarantine.append(QuarantinedRow(number, line, str(exc)))
    parsed.totals = _action_counts(parsed.rows)
    parsed.warnings = _warnings(parsed.rows, extra_keys)
    return parsed


def _non_empty_lines(text: str) -> Iterator[str]:
    # split on "\n" only: JSON strings may hold U+2028 and other characters that
    # str.splitlines() would treat as line breaks
    for line in text.split("\n"):
        if line.strip():
            yield line.strip()


def _check_first_line(line: str) -> None:
    try:
        _object(line)
    except RowError as exc:
        raise FileRejected(f"not a JSON-lines decisions file: first line: {exc}") from None


def _object(line: str) -> dict[str, Any]:
    try:
        document = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise RowError(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise RowError(f"not a JSON object but {type(document).__name__}")
    return document


def _values(document: Mapping[str, Any]) -> dict[str, str | None]:
    missing = [
        key for key in MANUAL_DECISION_COLUMNS if key not in document and key not in _OPTIONAL_KEYS
    ]
    if missing:
        raise RowError(f"missing key(s): {', '.join(missing)}")
    document = {**dict.fromkeys(_OPTIONAL_KEYS), **document}
    values: dict[str, str | None] = {key: _required_text(document, key) for key in _REQUIRED_TEXT}
    values["action"] = _action(document["action"])
    values.update({key: _optional_text(document, key) for key in _OPTIONAL_TEXT})
    values["status"] = _status(document["status"])
    values["amount"] = _amount(document["amount"])
    values.update({key: _ids(document, key) for key in _ID_LISTS})
    _check_timestamp(values["decided_at"] or "")
    return {key: values[key] for key in MANUAL_DECISION_COLUMNS}


def _required_text(document: Mapping[str, Any], key: str) -> str:
    value = _optional_text(document, key)
    if value is None:
        raise RowError(f"{key} is blank")
    return value


def _optional_text(document: Mapping[str, Any], key: str) -> str | None:
    value = document[key]
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowError(f"{key} must be a string or null, got {json.dumps(value)[:60]}")
    return value.strip() or None


def _action(value: Any) -> str:
    if value not in ACTIONS:
        raise RowError(f"action {json.dumps(value)[:60]} is not one of {', '.join(ACTIONS)}")
    return str(value)


def _status(value: Any) -> str | None:
    if value is None:
        return None
    if value not in STATUSES:
        raise RowError(f"status {json.dumps(value)[:60]} is not one of {', '.join(STATUSES)}")
    return str(value)


def _amount(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RowError(
            f'amount {json.dumps(value)[:60]} must be a decimal string such as "12.30" '
            "(money is never a JSON float)"
        )
    text = str(value).strip()
    if not _AMOUNT.fullmatch(text):
        raise RowError(f"amount {text[:60]!r} is not a decimal with at most 2 places")
    return text


def _ids(document: Mapping[str, Any], key: str) -> str | None:
    value = document[key]
    if not isinstance(value, list):
        raise RowError(f"{key} must be a JSON array of ids, got {json.dumps(value)[:60]}")
    ids = [_id(key, item) for item in value]
    return ",".join(ids) or None


def _id(key: str, item: Any) -> str:
    if isinstance(item, bool) or not isinstance(item, str | int):
        raise RowError(f"{key} holds {json.dumps(item)[:60]}, ids are strings")
    text = str(item).strip()
    if not text or "," in text:
        raise RowError(f"{key} holds {json.dumps(item)[:60]}, ids are non-empty and comma-free")
    return text


def _check_timestamp(text: str) -> None:
    if not is_iso_timestamp(text):
        raise RowError(f"decided_at {text!r} is not an ISO-8601 timestamp")


def _action_counts(rows: Sequence[ParsedRow]) -> dict[str, str]:
    counts = Counter(row.values["action"] for row in rows)
    return {f"count:{action}": str(counts[action]) for action in ACTIONS if counts[action]}


def _warnings(rows: Sequence[ParsedRow], extra_keys: Counter[str]) -> list[str]:
    warnings = []
    if extra_keys:
        warnings.append(f"keys ignored: {', '.join(sorted(extra_keys))}")
    ids = Counter(row.values["decision_id"] for row in rows)
    repeated = sorted(str(key) for key, count in ids.items() if count > 1)
    if repeated:
        warnings.append(f"decision_id repeated: {', '.join(repeated[:5])}")
    return warnings
