"""Analyst readers: lakehouse tables as pandas or polars, without a JVM.

``read_table("gold.recon_exceptions")`` reads the latest version through the
``deltalake`` package; ``as_of=`` takes a Delta version (int) or a business date
(the latest version whose run recorded an as-of date on or before it).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from lakehouse.asof import close_version
from lakehouse.errors import LakehouseError

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    from deltalake import DeltaTable


def _root(root: str | None) -> str:
    if root:
        return root
    from lakehouse.config import load_settings

    return load_settings().storage.root


def table_uri(name: str, root: str | None = None) -> str:
    layer, _, table = name.rpartition(".")
    if layer not in ("bronze", "silver", "gold"):
        raise LakehouseError(
            f"table name {name!r} must be <layer>.<table>, e.g. 'gold.recon_exceptions'"
        )
    return f"{_root(root).rstrip('/')}/{layer}/{table}"


def _as_of_version(table: DeltaTable, as_of: date) -> int:
    commits = []
    for commit in table.history():
        try:
            recorded = json.loads(commit.get("userMetadata") or "{}").get("as_of")
        except (TypeError, ValueError):
            recorded = None
        commits.append((int(commit["version"]), recorded))
    version = close_version(commits, as_of)
    if version is None:
        raise LakehouseError(
            f"no commit of {table.table_uri} has an as-of date on or before {as_of}"
        )
    return version


def open_table(name: str, as_of: int | date | None = None, root: str | None = None) -> DeltaTable:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    uri = table_uri(name, root)
    try:
        table = DeltaTable(uri)
    except TableNotFoundError:
        raise LakehouseError(
            f"{name} not found at {uri}; run `make demo` or `lakehouse run`"
        ) from None
    if isinstance(as_of, date):
        table.load_as_version(_as_of_version(table, as_of))
    elif isinstance(as_of, int):
        table.load_as_version(as_of)
    return table


def read_table(
    name: str, as_of: int | date | None = None, root: str | None = None, **kwargs: Any
) -> pd.DataFrame:
    """The table as a pandas DataFrame (latest, a version, or as of a business date)."""
    return open_table(name, as_of, root).to_pandas(**kwargs)


def read_table_polars(
    name: str, as_of: int | date | None = None, root: str | None = None
) -> pl.DataFrame:
    import polars as pl

    return pl.from_arrow(open_table(name, as_of, root).to_pyarrow_table())  # type: ignore[return-value]
