"""Reading the report's gold rows (no JVM) and coercing their values."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lakehouse.errors import LakehouseError
from lakehouse.readers import open_delta, open_table, resolve_root
from lakehouse.report.unapplied import load_unapplied
from lakehouse.storage import locate

SUMMARY_TABLE = "gold.daily_summary"
AGING_TABLE = "gold.aging"
EXCEPTIONS_TABLE = "gold.recon_exceptions"

TOP_BREAKS = 20

ZERO = Decimal("0.00")
NO_PARTNER = "(no partner)"


# ---- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportData:
    """The rows the report is drawn from (already limited to dates <= ``as_of``)."""

    as_of: date
    summary: list[dict[str, Any]]
    aging: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    versions: dict[str, int]
    root: str
    # (leg, item_id) -> lakehouse.explain's answer, for the top breaks
    explanations: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # decisions the day's run could not apply (gold.decision_outcomes)
    unapplied: list[dict[str, Any]] = field(default_factory=list)


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def as_day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_dec(value: Any) -> Decimal | None:
    if _missing(value):
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def as_int(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def as_float(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def as_text(value: Any, default: str = "-") -> str:
    return default if _missing(value) or value == "" else str(value)


def load_report_data(as_of: date | None = None, root: str | None = None) -> ReportData:
    """Read the three gold tables for the report (``as_of`` None: the latest as-of date).

    Raises :class:`LakehouseError` when a table is missing, empty, or has no run on or
    before the requested date.
    """
    names = (SUMMARY_TABLE, AGING_TABLE, EXCEPTIONS_TABLE)
    base, s3 = resolve_root(root)
    uris = {name: locate(base, name) for name in names}
    missing = [f"{name} ({uri})" for name, uri in uris.items() if open_delta(uri, s3) is None]
    if missing:
        when = f"--date {as_of.isoformat()}" if as_of else "--date D"
        raise LakehouseError(
            f"gold table(s) missing: {', '.join(missing)}; "
            f"run `make demo` or `lakehouse run {when}` first"
        )

    versions: dict[str, int] = {}
    summary_table = open_table(SUMMARY_TABLE, root=base)
    versions[SUMMARY_TABLE] = summary_table.version()
    summary = _records(summary_table.to_pandas())
    dates = sorted({as_day(r["as_of_date"]) for r in summary})
    if not dates:
        raise LakehouseError(
            f"{SUMMARY_TABLE} at {uris[SUMMARY_TABLE]} is empty; "
            "run `make demo` or `lakehouse run --date D` first"
        )
    requested = as_of is not None
    if as_of is None:
        as_of = dates[-1]
    elif as_of not in dates:
        raise LakehouseError(
            f"{SUMMARY_TABLE} has no rows for as-of date {as_of}; it has "
            f"{dates[0]} .. {dates[-1]} ({len(dates)} dates); pick one of those or run "
            f"`lakehouse run --date {as_of.isoformat()}` first"
        )
    summary = [r for r in summary if as_day(r["as_of_date"]) <= as_of]

    # With a date: the versions as the books closed on it (time travel on the runs'
    # recorded as-of dates); without one: the newest versions.
    travel = as_of if requested else None
    aging_table = open_table(AGING_TABLE, travel, base)
    versions[AGING_TABLE] = aging_table.version()
    aging = [r for r in _records(aging_table.to_pandas()) if as_day(r["as_of_date"]) <= as_of]
    exceptions_table = open_table(EXCEPTIONS_TABLE, travel, base)
    versions[EXCEPTIONS_TABLE] = exceptions_table.version()
    exceptions = _records(exceptions_table.to_pandas())
    root_uri = uris[SUMMARY_TABLE].rsplit("/gold/", 1)[0]
    explanations = _explanations(top_breaks(exceptions), travel, base)
    unapplied = load_unapplied(travel, base)
    return ReportData(
        as_of, summary, aging, exceptions, versions, root_uri, explanations, unapplied
    )


def top_breaks(
    exceptions: Sequence[Mapping[str, Any]], limit: int = TOP_BREAKS
) -> list[Mapping[str, Any]]:
    """The ``limit`` open breaks with the largest absolute amount (ties: leg, item)."""

    def key(row: Mapping[str, Any]) -> tuple[Decimal, str, str]:
        amount = as_dec(row.get("amount"))
        return (
            -(abs(amount) if amount is not None else ZERO),
            as_text(row.get("leg")),
            as_text(row.get("item_ref"), as_text(row.get("item_id"))),
        )

    return sorted(exceptions, key=key)[:limit]


def _explanations(
    rows: Sequence[Mapping[str, Any]], as_of: date | None, root: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """Why each of the top breaks is one; none when gold has no item states to cite."""
    from lakehouse.explain import Explainer

    keys = [(str(r["leg"]), str(r["item_id"])) for r in rows]
    if not keys:
        return {}
    try:
        explainer = Explainer(as_of, root)
    except LakehouseError:
        return {}
    answers = explainer.explain_many(keys, details=True, strict=False)
    return {key: a for key, a in zip(keys, answers, strict=True) if a is not None}
