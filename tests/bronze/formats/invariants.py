"""Invariants every parser keeps on any input, asserted by the fuzz and sample tests.

A parse either returns a ParsedFile or raises FileRejected (anything else fails the
test). A rejection names the file and a one-line reason. An accepted file accounts
for every row it read (each row number once, accepted or quarantined with a reason),
its rows have exactly the family's columns, its amounts are plain decimal strings,
and its totals tie with its accepted rows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from lakehouse.bronze.formats.base import (
    BANK_COLUMNS,
    LEDGER_COLUMNS,
    MANUAL_DECISION_COLUMNS,
    PARTNER_COLUMNS,
    ParsedFile,
    ParsedRow,
)
from lakehouse.errors import FileRejected

Parse = Callable[[bytes, str], ParsedFile]
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
UNSIGNED_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
FUZZ_PATH = "landing/fuzz/input.bin"


def assert_invariants(
    parse: Parse, data: bytes, path: str = FUZZ_PATH
) -> ParsedFile | FileRejected:
    """``parse(data, path)`` checked against every invariant; the file or the rejection."""
    try:
        parsed = parse(data, path)
    except FileRejected as exc:
        check_rejection(exc, path)
        return exc
    check_parsed(parsed)
    return parsed


def check_rejection(exc: FileRejected, path: str) -> None:
    assert exc.path == path, f"rejection does not name the file: {exc.path!r}"
    assert exc.reason.strip(), "rejection without a reason"
    assert str(exc).startswith(f"{path}: ")


def check_parsed(parsed: ParsedFile) -> None:
    records = parsed.records()
    numbers = [row.row_number for row in records] + [q.row_number for q in parsed.quarantine]
    assert len(set(numbers)) == len(numbers) == parsed.rows_read, "a row counted twice"
    assert all(number >= 1 for number in numbers)
    for row in records:
        assert tuple(row.values) == parsed.columns or set(row.values) == set(parsed.columns)
        assert all(value is None or isinstance(value, str) for value in row.values.values())
    for bad in parsed.quarantine:
        assert bad.reason.strip(), f"row {bad.row_number} quarantined without a reason"
    for key, value in parsed.totals.items():
        assert PLAIN_DECIMAL.fullmatch(value), f"total {key} = {value!r}"
    if parsed.columns in (LEDGER_COLUMNS, PARTNER_COLUMNS, MANUAL_DECISION_COLUMNS):
        assert sorted(numbers) == list(range(1, parsed.entries + 1)), "a data row lost"
    if parsed.columns == LEDGER_COLUMNS:
        _check_ledger(parsed, records)
    elif parsed.columns == PARTNER_COLUMNS:
        _check_partner(parsed, records)
    elif parsed.columns == BANK_COLUMNS:
        _check_bank(parsed, records)


def _plain(value: str | None, *, signed: bool = True) -> Decimal | None:
    if value is None:
        return None
    assert (PLAIN_DECIMAL if signed else UNSIGNED_DECIMAL).fullmatch(value), value
    amount = Decimal(value)
    assert not (amount.is_zero() and value.startswith("-")), f"negative zero {value!r}"
    return amount


def _sums(pairs: list[tuple[str, Decimal | None]]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for key, amount in pairs:
        if amount is not None:
            sums[key] += amount
    return dict(sums)


def _totals(parsed: ParsedFile) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in parsed.totals.items()}


def _check_ledger(parsed: ParsedFile, rows: list[ParsedRow]) -> None:
    sums = _sums([(f"amount:{r.values['currency']}", _plain(r.values["amount"])) for r in rows])
    assert sums == _totals(parsed)


def _check_partner(parsed: ParsedFile, rows: list[ParsedRow]) -> None:
    pairs = []
    for row in rows:
        values = row.values
        pairs += [
            (f"gross:{values['gross_currency'] or '-'}", _plain(values["gross_amount"])),
            (f"fee:{values['net_currency'] or '-'}", _plain(values["fee_amount"])),
            (f"net:{values['net_currency'] or '-'}", _plain(values["net_amount"])),
        ]
    assert _sums(pairs) == _totals(parsed)


def _check_bank(parsed: ParsedFile, rows: list[ParsedRow]) -> None:
    for row in rows:
        assert row.values["record_type"] in ("TXN", "BALANCE")
        _plain(row.values["amount"], signed=False)
        if row.values["record_type"] == "TXN":
            assert row.values["credit_debit"] in ("CRDT", "DBIT")
    totals = _totals(parsed)
    if parsed.quarantine or len(parsed.currencies) > 1:
        return
    txns = [row.values for row in rows if row.values["record_type"] == "TXN"]
    for direction, key in (("CRDT", "credits"), ("DBIT", "debits")):
        if key in totals:
            amounts = [Decimal(t["amount"] or 0) for t in txns if t["credit_debit"] == direction]
            assert sum(amounts, Decimal(0)) == totals[key], f"{key} do not tie with the rows"


def checked(parse: Parse) -> Parse:
    """``parse`` with every invariant asserted on each call (same result, same raise)."""

    def parse_checked(data: bytes, path: str) -> ParsedFile:
        try:
            parsed = parse(data, path)
        except FileRejected as exc:
            check_rejection(exc, path)
            raise
        check_parsed(parsed)
        return parsed

    return parse_checked
