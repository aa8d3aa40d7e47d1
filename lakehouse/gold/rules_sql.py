"""The SQL of a rules file, checked before any Spark work.

Filters (``left_filter``, ``right_filter``, ``[returns] filter``) are Spark SQL over the
silver table behind their side; ``left_amount``, ``right_amount`` and ``group_key``
are Spark SQL over the item columns (:data:`lakehouse.gold.items.ITEM_COLUMNS`);
``equal`` names item columns (or ``group_key``). Each is parsed with sqlglot's Spark
dialect (no JVM): a syntax error, a statement instead of an expression, or a column
the table does not have fails naming the file, the key and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakehouse.errors import ConfigError

if TYPE_CHECKING:
    from lakehouse.gold.rules import Leg

# the silver table behind each side of a leg (lakehouse.gold.items.side_items)
SIDE_TABLES = {
    "ledger": "ledger_entries",
    "partner": "partner_settlements",
    "partner_payout": "partner_settlements",
    "bank": "bank_transactions",
}

_STATEMENTS = (exp.Query, exp.Block, exp.Command, exp.DDL, exp.DML)


@cache
def _silver_columns(table: str) -> frozenset[str]:
    from lakehouse.silver import bank_transactions, ledger_entries, partner_settlements

    schemas = {
        "ledger_entries": ledger_entries.SCHEMA,
        "partner_settlements": partner_settlements.SCHEMA,
        "bank_transactions": bank_transactions.SCHEMA,
    }
    return frozenset(f.name.lower() for f in schemas[table].fields)


@cache
def _item_columns() -> frozenset[str]:
    from lakehouse.gold.items import ITEM_COLUMNS

    return frozenset(ITEM_COLUMNS)


def check_expression(where: str, key: str, text: str, columns: Iterable[str], over: str) -> None:
    """Raise ConfigError unless ``text`` is one Spark SQL expression whose columns are
    all in ``columns`` (``over`` names what they are, for the message)."""
    known = frozenset(c.lower() for c in columns)
    try:
        tree = sqlglot.parse_one(text, read="spark")
    except SqlglotError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(
            f"{where} {key} = {text!r} is not valid Spark SQL ({first}); fix the expression"
        ) from None
    if isinstance(tree, _STATEMENTS) or tree.find(*_STATEMENTS) is not None:
        raise ConfigError(
            f"{where} {key} = {text!r} must be one SQL expression, not a statement or query"
        )
    unknown = sorted({c.name for c in tree.find_all(exp.Column) if c.name.lower() not in known})
    if unknown:
        raise ConfigError(
            f"{where} {key} = {text!r} names {', '.join(unknown)}, not a column of {over}; "
            f"use one of {', '.join(sorted(known))}"
        )


def check_legs(legs: Mapping[str, Leg], source: Path) -> None:
    """Check every SQL expression and column name of ``legs`` (loaded from ``source``)."""
    items = _item_columns()
    for name, leg in legs.items():
        where = f"{source} [legs.{name}]"
        for side, key, text in (
            (leg.left, "left_filter", leg.left_filter),
            (leg.right, "right_filter", leg.right_filter),
        ):
            table = SIDE_TABLES[side]
            check_expression(where, key, text, _silver_columns(table), f"silver.{table}")
        if leg.returns is not None:
            table = SIDE_TABLES[leg.right]
            check_expression(
                f"{source} [legs.{name}.returns]",
                "filter",
                leg.returns.filter,
                _silver_columns(table),
                f"silver.{table}",
            )
        for index, rule in enumerate(leg.rules):
            at = f"{source} [[legs.{name}.rules]] #{index + 1} ({rule.name})"
            for key in ("left_amount", "right_amount", "group_key"):
                text = getattr(rule, key)
                if text:
                    check_expression(at, key, text, items, "the item columns")
            for left, right in rule.equal:
                for column in (left, right):
                    if column != "group_key" and column not in items:
                        raise ConfigError(
                            f"{at} equal names {column!r}, not an item column; use one of "
                            f"{', '.join(sorted(items))} (or group_key on the grouped side)"
                        )
