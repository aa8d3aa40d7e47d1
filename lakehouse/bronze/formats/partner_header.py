"""Header binding: a partner layout matched to one file's header row.

:func:`bind` finds every field's column by header name (case and white space ignored,
the first alias present wins) and rejects the file when a required field has no
column, a credit column lacks its debit twin, or a bound header appears twice.
:func:`unknown_headers` warns about columns the layout does not know.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lakehouse.bronze.formats.base import FileRejected
from lakehouse.bronze.formats.csv_text import normalise_header, raw_keys
from lakehouse.bronze.formats.partner_layout import AmountRule, CsvLayout

__all__ = ["Bound", "bind", "unknown_headers"]


@dataclass(frozen=True)
class Bound:
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


def bind(layout: CsvLayout, header: tuple[str, ...]) -> Bound:
    index = _header_index(header)
    texts = _bind_texts(layout, index)
    columns, credit_debit, sums = _bind_amounts(layout, index, header)
    bound_fields = set(texts) | set(columns) | set(credit_debit) | set(sums)
    _require(layout, bound_fields, header)
    _reject_ambiguous(header, texts.values(), [*columns.values(), *_flat(credit_debit)])
    return Bound(
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


def unknown_headers(layout: CsvLayout, header: Sequence[str]) -> list[str]:
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
