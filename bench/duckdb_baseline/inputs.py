"""The baseline's input, read from Delta with ``deltalake`` (no JVM), and gold for
the comparison."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pyarrow as pa

SILVER_TABLES = ("ledger_entries", "partner_settlements", "bank_transactions")

FROZEN_SCHEMA = pa.schema(
    [
        ("leg", pa.string()),
        ("left_ids", pa.list_(pa.string())),
        ("right_ids", pa.list_(pa.string())),
        ("matched_as_of", pa.date32()),
    ]
)


@dataclass
class SilverSnapshot:
    """The baseline's input, read from Delta without a JVM."""

    tables: dict[str, pa.Table]
    frozen: pa.Table
    manual_decisions: int
    seconds: float


def _delta(root: str, layer: str, name: str) -> Any:
    from lakehouse.readers import open_delta, resolve_root
    from lakehouse.storage import table_location

    base, s3 = resolve_root(root)
    return open_delta(table_location(base, layer, name), s3)


def read_silver(root: str, as_of: date, window_days: int) -> SilverSnapshot:
    """Silver rows of the window (partitions pruned by business date), existing matches
    and the number of manual decisions known by ``as_of`` (which the baseline ignores)."""
    import pyarrow.dataset as ds

    start = time.perf_counter()
    low = as_of - timedelta(days=window_days)
    in_window = (ds.field("business_date") >= low) & (ds.field("business_date") <= as_of)
    tables: dict[str, pa.Table] = {}
    for name in SILVER_TABLES:
        table = _delta(root, "silver", name)
        if table is None:
            raise FileNotFoundError(f"silver.{name} not found under {root}")
        tables[name] = table.to_pyarrow_dataset().to_table(filter=in_window)
    matches = _delta(root, "gold", "recon_matches")
    frozen = (
        matches.to_pyarrow_dataset().to_table(columns=FROZEN_SCHEMA.names)
        if matches is not None
        else FROZEN_SCHEMA.empty_table()
    )
    decisions = _delta(root, "silver", "manual_decisions")
    known = 0
    if decisions is not None:
        known = decisions.to_pyarrow_dataset().count_rows(filter=ds.field("_arrival_date") <= as_of)
    return SilverSnapshot(tables, frozen, known, time.perf_counter() - start)


def read_gold(root: str) -> tuple[pa.Table, pa.Table]:
    """``gold.recon_matches`` and ``gold.recon_items`` (the columns compared)."""
    matches = _delta(root, "gold", "recon_matches")
    items = _delta(root, "gold", "recon_items")
    if matches is None or items is None:
        raise FileNotFoundError(f"gold.recon_matches / gold.recon_items not found under {root}")
    match_cols = ["match_id", "leg", "rule", "status", "reason_code", "left_ids", "right_ids"]
    return (
        matches.to_pyarrow_dataset().to_table(columns=[*match_cols, "matched_as_of"]),
        _gold_item_columns(items),
    )


def _gold_item_columns(items: Any) -> pa.Table:
    cols = ["leg", "item_id", "state", "reason_code", "match_id"]
    table: pa.Table = items.to_pyarrow_dataset().to_table(columns=cols)
    return table
