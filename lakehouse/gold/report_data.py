"""Read-side helpers over gold shared by the CLI summary and Prefect artifacts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lakehouse.audit import read_as_of, version_as_of
from lakehouse.config import Settings
from lakehouse.gold import daily_summary, recon_exceptions
from lakehouse.io import read


def summary_rows(spark: SparkSession, settings: Settings, as_of: date) -> list[dict[str, Any]]:
    """Per leg for one as-of date: matched / pending / exceptions, amounts, match rate."""
    rows = (
        read(spark, settings, daily_summary.SPEC)
        .where(F.col("as_of_date") == F.lit(as_of))
        .orderBy("leg")
        .collect()
    )
    return [
        {
            "leg": r.leg,
            "items": r["items"],
            "matched": r.matched_items,
            "matched_amount": str(r.matched_amount),
            "partial": r.partial_items,
            "pending": r.pending_items,
            "pending_amount": str(r.pending_amount),
            "exceptions": r.exception_items,
            "exception_amount": str(r.exception_amount),
            "written_off": r.written_off_items,
            "match_rate": r.match_rate,
        }
        for r in rows
    ]


def new_exceptions(spark: SparkSession, settings: Settings, as_of: date) -> list[dict[str, Any]]:
    """Breaks open as of D that were not open as of the previous business day."""
    current = read(spark, settings, recon_exceptions.SPEC)
    path = settings.storage.locate("gold.recon_exceptions")
    previous_version = version_as_of(spark, path, as_of - timedelta(days=1))
    if previous_version is not None:
        previous = read_as_of(spark, settings, "gold.recon_exceptions", version=previous_version)
        current = current.join(previous.select("leg", "item_id"), ["leg", "item_id"], "left_anti")
    cols = ["leg", "item_id", "item_ref", "reason_code", "amount", "currency", "business_date"]
    return [r.asDict() for r in current.select(*cols).orderBy("leg", "item_id").collect()]


def new_exceptions_markdown(spark: SparkSession, settings: Settings, as_of: date) -> str:
    rows = new_exceptions(spark, settings, as_of)
    lines = [f"# New exceptions as of {as_of}", "", f"{len(rows)} new break(s).", ""]
    if rows:
        lines += [
            "| leg | item | reason | amount | currency | business date |",
            "|---|---|---|---:|---|---|",
        ]
        lines += [
            f"| {r['leg']} | {r['item_ref']} | {r['reason_code']} | {r['amount']} | "
            f"{r['currency']} | {r['business_date']} |"
            for r in rows[:200]
        ]
    return "\n".join(lines)
