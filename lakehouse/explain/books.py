"""The gold (and the few silver) rows an explanation cites, as the books stood on a day.

Read through ``deltalake`` and pyarrow datasets with filters pushed down: no JVM, and
one scan per table however many items are explained at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc
import pyarrow.dataset as ds

from lakehouse.asof import close_version
from lakehouse.errors import LakehouseError
from lakehouse.readers import open_delta, recorded_as_of, resolve_root
from lakehouse.storage import locate

if TYPE_CHECKING:
    from deltalake import DeltaTable

ITEMS = "gold.recon_items"
MATCHES = "gold.recon_matches"
CANDIDATES = "gold.recon_candidates"
DECISIONS = "silver.manual_decisions"
BANK = "silver.bank_transactions"

Row = dict[str, Any]


class Books:
    """Tables opened once, each at the version that closed ``as_of`` (the latest when
    ``as_of`` is None; then ``as_of`` becomes the last day a run recorded)."""

    def __init__(self, as_of: date | None = None, root: str | None = None) -> None:
        self._root, self._s3 = resolve_root(root)
        self._tables: dict[str, DeltaTable | None] = {}
        items = self._open(ITEMS, as_of)
        if items is None:
            raise LakehouseError(
                f"{ITEMS} not found under {self._root}; run `lakehouse run` or `make demo` first"
            )
        self._tables[ITEMS] = items
        days = [d for _, d in recorded_as_of(items) if d]
        if as_of is None and not days:
            raise LakehouseError(f"{ITEMS} has no reconcile run yet; run `lakehouse run` first")
        self.as_of = as_of or date.fromisoformat(max(days))

    def _open(self, name: str, as_of: date | None) -> DeltaTable | None:
        table = open_delta(locate(self._root, name), self._s3)
        if table is None or as_of is None:
            return table
        version = close_version(recorded_as_of(table), as_of)
        if version is None:
            return None  # nothing of it existed yet on that day
        table.load_as_version(version)
        return table

    def table(self, name: str) -> DeltaTable | None:
        if name not in self._tables:
            self._tables[name] = self._open(name, self.as_of)
        return self._tables[name]

    def rows(self, name: str, where: ds.Expression, columns: list[str] | None = None) -> list[Row]:
        """The rows of ``name`` where ``where`` holds ([] when the table is missing)."""
        table = self.table(name)
        if table is None:
            return []
        dataset = table.to_pyarrow_dataset()
        if columns is not None:
            columns = [c for c in columns if c in dataset.schema.names]
        rows: list[Row] = dataset.to_table(filter=where, columns=columns).to_pylist()
        return rows

    # ---- what explanations need ------------------------------------------------------

    def items(self, keys: Iterable[tuple[str, str]]) -> list[Row]:
        """recon_items rows whose item_id or item_ref is one of the keys' items."""
        wanted = list(keys)
        legs = sorted({leg for leg, _ in wanted})
        ids = sorted({item for _, item in wanted})
        where = ds.field("leg").isin(legs) & (
            ds.field("item_id").isin(ids) | ds.field("item_ref").isin(ids)
        )
        return self.rows(ITEMS, where)

    def matches(self, match_ids: Iterable[str]) -> dict[str, Row]:
        ids = sorted(set(match_ids))
        if not ids:
            return {}
        return {r["match_id"]: r for r in self.rows(MATCHES, ds.field("match_id").isin(ids))}

    def candidates(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Row]]:
        wanted = set(keys)
        if not wanted:
            return {}
        ids = sorted({item for _, item in wanted})
        found: dict[tuple[str, str], list[Row]] = {}
        for row in self.rows(CANDIDATES, ds.field("item_id").isin(ids)):
            key = (row["leg"], row["item_id"])
            if key in wanted:
                found.setdefault(key, []).append(row)
        return {k: sorted(v, key=lambda r: r["rank"]) for k, v in found.items()}

    def holders(self, items: Iterable[Row]) -> dict[tuple[str, str, str], Row]:
        """For duplicates: (leg, side, upper reference) -> the item already holding it
        (matched, in a break's match, or written off)."""
        dups = [i for i in items if i.get("reference")]
        if not dups:
            return {}
        refs = sorted({str(i["reference"]).strip().upper() for i in dups})
        legs = sorted({i["leg"] for i in dups})
        where = (
            ds.field("leg").isin(legs)
            & pc.utf8_upper(pc.utf8_trim_whitespace(ds.field("reference"))).isin(refs)
            & ds.field("state").isin(["MATCHED", "PARTIAL", "EXCEPTION", "WRITTEN_OFF"])
        )
        columns = ["leg", "item_id", "side", "reference", "state", "match_id", "reason_code"]
        found: dict[tuple[str, str, str], Row] = {}
        for row in sorted(self.rows(ITEMS, where, columns), key=lambda r: str(r["item_id"])):
            # what the reconcile step counts as holding a reference: anything but an
            # unmatched item
            held = row["state"] in ("MATCHED", "PARTIAL", "WRITTEN_OFF") or row["match_id"]
            if not held:
                continue
            key = (row["leg"], row["side"], str(row["reference"]).strip().upper())
            found.setdefault(key, row)
        return found

    def decisions(self, ids: Iterable[str]) -> dict[str, Row]:
        """silver.manual_decisions by decision id."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self.rows(DECISIONS, ds.field("decision_id").isin(wanted))
        return {r["decision_id"]: r for r in rows}

    def write_offs(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Row]:
        """The latest write-off known by ``as_of`` of each (leg, item_id)."""
        wanted = set(keys)
        if not wanted:
            return {}
        where = (ds.field("action") == "write_off") & ds.field("item_id").isin(
            sorted({i for _, i in wanted})
        )
        found: dict[tuple[str, str], Row] = {}
        ordered = sorted(self.rows(DECISIONS, where), key=lambda r: str(r["decided_at"]))
        for row in ordered:
            decided = row["decided_at"]
            if isinstance(decided, datetime) and decided.date() > self.as_of:
                continue
            key = (row["leg"], row["item_id"])
            if key in wanted:
                found[key] = row
        return found

    def bank_lines(self, txn_ids: Iterable[str]) -> dict[str, Row]:
        ids = sorted(set(txn_ids))
        if not ids:
            return {}
        columns = ["bank_txn_id", "bank_reference", "return_reason", "description"]
        rows = self.rows(BANK, ds.field("bank_txn_id").isin(ids), columns)
        return {r["bank_txn_id"]: r for r in rows}
