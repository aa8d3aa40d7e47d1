"""Jinja filters of the workbench pages: exact money, UTC times, links that keep filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, Undefined


def money(value: Any) -> str:
    """``Decimal('-1234.5')`` -> ``-1,234.50`` (exact; never through float)."""
    if value is None or isinstance(value, Undefined) or value == "":
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return f"{value:,.2f}"


def when(value: Any) -> str:
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return str(value.strftime("%Y-%m-%d %H:%M UTC"))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def query(values: Mapping[str, Any], **changes: Any) -> str:
    """``?a=1&b=2`` from ``values`` with ``changes`` applied (empty values dropped)."""
    merged = {**values, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return "?" + urlencode(kept) if kept else "?"


def item_link(row: Mapping[str, Any]) -> str:
    return "/item" + query({"leg": row.get("leg"), "item": row.get("item_id")})


def install(env: Environment) -> None:
    env.filters.update(money=money, when=when, item_link=item_link)
    env.globals.update(query=query)
