"""The row path of a partner report: every row parsed, checked and explained alone.

The reference parser: a row that cannot be read (short, extra values, an amount that
is not a decimal, a required value missing, a cross-currency row without a rate) is
quarantined with its reason; rows that do not tie, or a paid-out batch that does not
net to zero, reject the file naming the row, its psp reference and the amounts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from lakehouse.bronze.formats.base import (
    PARTNER_COLUMNS,
    FileRejected,
    ParsedFile,
    ParsedRow,
    QuarantinedRow,
    RowError,
)
from lakehouse.bronze.formats.csv_text import (
    MONEY_CONTEXT,
    CsvRecord,
    CsvTable,
    fit_record,
    format_decimal,
    parse_decimal,
    record_text,
    text_value,
)
from lakehouse.bronze.formats.partner_controls import (
    CURRENCY_FIELDS,
    TOTAL_AMOUNTS,
    column_totals,
    credit_minus_debit,
    cross_currency,
    currencies_of,
    date_part,
    lacks_fx_rate,
    paid_out_batches,
    sum_present,
    ties,
)
from lakehouse.bronze.formats.partner_header import Bound
from lakehouse.bronze.formats.partner_layout import CONTROL_GROSS_MINUS_FEES, CsvLayout

__all__ = ["parse_rows"]


@dataclass(frozen=True)
class _Row:
    """A parsed row with its amounts as Decimals (for controls and totals)."""

    number: int
    values: dict[str, str | None]
    amounts: dict[str, Decimal | None]
    accounts: tuple[str, ...]


def parse_rows(
    table: CsvTable, bound: Bound, layout: CsvLayout, decimal: str, warnings: list[str]
) -> ParsedFile:
    """Every data row of ``table`` parsed or quarantined, then the file's controls."""
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


def _amount(fields: Sequence[str], position: int, header: str, decimal: str) -> Decimal | None:
    cell = fields[position]
    if not cell.strip():
        return None
    try:
        return parse_decimal(cell, decimal)
    except ValueError:
        raise RowError(f"{header} {cell.strip()!r} is not a decimal amount") from None


def _row_amounts(fields: Sequence[str], bound: Bound, decimal: str) -> dict[str, Decimal | None]:
    def cell(position: int) -> Decimal | None:
        return _amount(fields, position, bound.headers[position], decimal)

    amounts: dict[str, Decimal | None] = {f: cell(p) for f, p in bound.columns.items()}
    for field, (credit_at, debit_at) in bound.credit_debit.items():
        credit, debit = cell(credit_at), cell(debit_at)
        amounts[field] = credit_minus_debit(credit, debit)
    for field, parts in bound.sums.items():
        amounts[field] = sum_present(amounts[part] for part in parts)
    return amounts


def _row_texts(fields: Sequence[str], bound: Bound) -> dict[str, str | None]:
    values: dict[str, str | None] = dict.fromkeys(PARTNER_COLUMNS)
    values.update(bound.implied)
    for field, position in bound.texts.items():
        values[field] = text_value(fields[position])
    values["value_date"] = date_part(values.get("value_date"))
    return values


def _parse_row(record: CsvRecord, bound: Bound, layout: CsvLayout, decimal: str) -> _Row:
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


def _currencies_differ(row: _Row) -> bool:
    return cross_currency(row.values["gross_currency"], row.values["net_currency"])


def _check_fx_rate(row: _Row) -> None:
    """RowError when a cross-currency row has no usable exchange rate."""
    if lacks_fx_rate(
        _currencies_differ(row), row.amounts.get("gross_amount"), row.amounts.get("exchange_rate")
    ):
        raise RowError(
            f"gross currency {row.values['gross_currency']} differs from net currency "
            f"{row.values['net_currency']} and there is no positive exchange rate"
        )


def _tie_violation(row: _Row, layout: CsvLayout) -> str | None:
    """Why the row's gross, fees and net do not tie, or None when they do."""
    gross, net = row.amounts.get("gross_amount"), row.amounts.get("net_amount")
    if gross is None or net is None:
        return None
    fees = row.amounts.get("fee_amount") or Decimal(0)
    cross = _currencies_differ(row)
    rate = row.amounts.get("exchange_rate") if cross else None
    assert rate is not None or not cross  # guaranteed by _check_fx_rate
    if ties(gross, fees, net, rate, layout):
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


def _check_batches(rows: Sequence[_Row], layout: CsvLayout, quarantined: int) -> list[str]:
    """Reject when a paid-out batch does not net to zero; warnings when it cannot be checked."""
    if not layout.payout_types:
        return []
    closed = paid_out_batches(
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


def _result(
    layout: CsvLayout,
    table: CsvTable,
    rows: Sequence[_Row],
    quarantine: list[QuarantinedRow],
    warnings: list[str],
) -> ParsedFile:
    texts = _text_columns(rows, CURRENCY_FIELDS)
    amounts = {field: [row.amounts.get(field) for row in rows] for field in TOTAL_AMOUNTS}
    return ParsedFile(
        format=layout.name,
        columns=PARTNER_COLUMNS,
        rows=[ParsedRow(row.number, row.values) for row in rows],
        quarantine=quarantine,
        entries=len(table.records),
        accounts=list(dict.fromkeys(a for row in rows for a in row.accounts)),
        currencies=currencies_of(texts),
        totals=column_totals(texts, amounts),
        warnings=warnings,
    )


def _text_columns(rows: Sequence[_Row], fields: Iterable[str]) -> dict[str, list[str | None]]:
    return {field: [row.values.get(field) for row in rows] for field in fields}
