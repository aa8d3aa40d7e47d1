"""Small JVM-free look-ups in gold (``deltalake`` + Arrow): items by id, the last run.

Shared by decision checks (:mod:`lakehouse.decisions`), the queue commands and the
workbench. Local and S3 lakehouses alike: tables are opened by
:func:`lakehouse.readers.open_table`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from lakehouse.readers import open_delta, open_table, resolve_root
from lakehouse.storage import locate

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

ITEMS = "gold.recon_items"


def try_open(name: str, root: str | None, as_of: int | date | None = None) -> DeltaTable | None:
    """The table (latest, a version, or as the books closed on a date), or None when no
    run has written it yet."""
    base, s3 = resolve_root(root)
    table = open_delta(locate(base, name), s3)
    if table is None or as_of is None:
        return table
    return open_table(name, as_of, base)


def last_as_of(table: DeltaTable) -> str | None:
    """The as-of date the newest commit of a run recorded (ISO text), if any."""
    for commit in table.history(20):
        try:
            recorded = json.loads(commit.get("userMetadata") or "{}").get("as_of")
        except (TypeError, ValueError):
            recorded = None
        if recorded:
            return str(recorded)
    return None


def rows(
    table: DeltaTable,
    where: Any = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Rows of ``table`` matching an Arrow expression (partition filters prune files)."""
    dataset = table.to_pyarrow_dataset()
    return dataset.to_table(filter=where, columns=list(columns) if columns else None)


def find_items(
    root: str | None, wanted: Mapping[str, Iterable[str]]
) -> tuple[str | None, dict[str, dict[str, str]]]:
    """Which of the ``wanted`` ids (per leg) gold.recon_items holds, with their side;
    and the as-of date of the last run (None when no run has written gold yet)."""
    import pyarrow.compute as pc

    table = try_open(ITEMS, root)
    if table is None:
        return None, {}
    found: dict[str, dict[str, str]] = {}
    for leg, ids in wanted.items():
        names = sorted(set(ids))
        if not names:
            continue
        where = (pc.field("leg") == leg) & pc.field("item_id").isin(names)
        hits = rows(table, where, ["item_id", "side"]).to_pylist()
        found[leg] = {str(r["item_id"]): str(r["side"]) for r in hits}
    return last_as_of(table), found
