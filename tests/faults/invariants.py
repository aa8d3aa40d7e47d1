"""What must hold after any fault, read without a JVM (``deltalake``).

* gold's business columns (every column not starting with ``_``) equal a clean run's,
  ``gold._open_items`` (the close the next day starts from) included;
* bronze holds each (file hash, row number) once, in the feed table and its quarantine;
* silver keys are unique;
* for every file in the manifest: rows read = bronze rows + quarantined rows, and the
  manifest names each (feed, file) once;
* the refine watermark of each silver table is the newest bronze ``_ingested_at`` of
  its feeds (nothing ingested is left unrefined, nothing refined twice counts twice:
  quality metrics total the same rows as a clean run's);
* the last close records the watermarks refine has.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from deltalake import DeltaTable

GOLD = ("recon_matches", "recon_items", "recon_exceptions", "aging", "daily_summary", "_open_items")
SILVER_KEYS = {
    "ledger_entries": ("entry_id",),
    "partner_settlements": ("settlement_id",),
    "bank_transactions": ("bank_txn_id",),
    "bank_balances": ("account_key", "date"),
    "manual_decisions": ("decision_id",),
}
# silver table -> the bronze feeds it is refined from
SILVER_FEEDS = {
    "ledger_entries": ("ledger",),
    "partner_settlements": ("adyen", "stripe"),
    "bank_transactions": ("bai2", "camt053", "mt940", "nacha"),
    "bank_balances": ("bai2", "camt053", "mt940", "nacha"),
    "manual_decisions": ("manual_decisions",),
}


def table(root: str | Path, layer: str, name: str, version: int | None = None) -> pd.DataFrame:
    path = Path(root) / layer / name
    if not (path / "_delta_log").is_dir():
        return pd.DataFrame()
    dt = DeltaTable(str(path))
    if version is not None:
        dt.load_as_version(version)
    return dt.to_pandas()


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray | list | tuple):
        return tuple(_plain(v) for v in value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    return str(value)


def business_rows(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    columns = sorted(c for c in df.columns if not c.startswith("_"))
    rows = [tuple(_plain(v) for v in row) for row in df[columns].itertuples(index=False)]
    return sorted(rows, key=repr)


def gold_books(root: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every gold table's business rows (what "gold equal to a clean run's" compares)."""
    return {name: business_rows(table(root, "gold", name)) for name in GOLD}


def gold_differences(root: str | Path, reference: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    found = gold_books(root)
    problems = []
    for name in GOLD:
        got, want = Counter(found[name]), Counter(reference[name])
        if got != want:
            extra, missing = got - want, want - got
            problems.append(
                f"gold.{name}: {sum(extra.values())} row(s) not in the clean run "
                f"(e.g. {next(iter(extra), None)}), {sum(missing.values())} missing "
                f"(e.g. {next(iter(missing), None)})"
            )
    return problems


def _feeds(root: Path) -> list[str]:
    bronze = root / "bronze"
    return sorted(
        p.name
        for p in bronze.iterdir()
        if (p / "_delta_log").is_dir()
        and not p.name.startswith("_")
        and "_quarantine" not in p.name
    )


def storage_problems(root: str | Path) -> list[str]:
    """Every invariant but gold's equality: bronze, silver, manifest, watermarks, close."""
    root = Path(root)
    problems: list[str] = []
    counts: dict[tuple[str, str], int] = Counter()
    newest: dict[str, Any] = {}
    for feed in _feeds(root):
        for name in (feed, f"{feed}_quarantine"):
            rows = table(root, "bronze", name)
            if rows.empty:
                continue
            doubled = rows.duplicated(["_file_sha256", "_row_number"]).sum()
            if doubled:
                problems.append(f"bronze.{name}: {doubled} duplicate (file hash, row number)")
            for sha, n in rows.groupby("_file_sha256").size().items():
                counts[(feed, str(sha))] += int(n)
            if name == feed:
                newest[feed] = rows["_ingested_at"].max()
    manifest = table(root, "bronze", "_manifest")
    twice = manifest.duplicated(["feed", "file_sha256"]).sum() if not manifest.empty else 0
    if twice:
        problems.append(f"bronze._manifest: {twice} file(s) recorded more than once")
    for row in manifest.itertuples(index=False) if not manifest.empty else []:
        if row.status != "ingested":
            continue
        stored = counts.get((row.feed, row.file_sha256), 0)
        if row.rows_bronze + row.rows_quarantined != stored:
            problems.append(
                f"{row.file_path}: manifest says {row.rows_bronze} + {row.rows_quarantined} "
                f"rows, bronze and quarantine hold {stored}"
            )
    recorded = set()
    if not manifest.empty:
        recorded = set(zip(manifest.feed, manifest.file_sha256, strict=True))
    for feed, sha in counts:
        if (feed, sha) not in recorded:
            problems.append(f"bronze.{feed}: rows of file {sha[:12]} not in the manifest")
    for name, keys in SILVER_KEYS.items():
        rows = table(root, "silver", name)
        doubled = rows.duplicated(list(keys)).sum() if not rows.empty else 0
        if doubled:
            problems.append(f"silver.{name}: {doubled} duplicate key(s)")
    state = table(root, "silver", "_refine_state")
    marks = {}
    if not state.empty:
        marks = dict(zip(state.table, state.ingested_through, strict=True))
    for name, feeds in SILVER_FEEDS.items():
        bronze = [newest[f] for f in feeds if f in newest]
        if bronze and marks.get(name) != max(bronze):
            problems.append(
                f"silver._refine_state: {name} refined through {marks.get(name)}, "
                f"bronze holds rows ingested up to {max(bronze)}"
            )
    problems += _close_problems(root, marks)
    return problems


def _utc(value: Any) -> pd.Timestamp:
    """A watermark as a naive UTC timestamp: the close records it without a zone (Spark's
    session zone is UTC), deltalake reads the refine state's with one."""
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def _close_problems(root: Path, marks: dict[str, Any]) -> list[str]:
    path = root / "gold" / "_open_items"
    if not (path / "_delta_log").is_dir():
        return ["gold._open_items: no close recorded"]
    closes = [
        json.loads(c["userMetadata"])
        for c in DeltaTable(str(path)).history()
        if c.get("userMetadata") and json.loads(c["userMetadata"]).get("step") == "reconcile.close"
    ]
    last = max(closes, key=lambda m: m["as_of"])  # history is newest first: max keeps the first
    recorded = json.loads(last["watermarks"])
    problems = []
    for name, mark in recorded.items():
        if mark is not None and _utc(mark) != _utc(marks.get(name)):
            problems.append(
                f"gold._open_items: the close of {last['as_of']} saw {name} through {mark}, "
                f"refine is through {marks.get(name)}"
            )
    return problems


def quality_totals(root: str | Path) -> dict[tuple[str, str], int]:
    """Rows checked per (table, rule) over every run: a rerun must not count rows twice."""
    metrics = table(root, "silver", "_quality_metrics")
    if metrics.empty:
        return {}
    totals = metrics.groupby(["table", "rule"])["total_rows"].sum()
    return {(str(t), str(r)): int(n) for (t, r), n in totals.items()}
