"""Analyst readers: lakehouse tables as pandas or polars, without a JVM.

``read_table("gold.recon_exceptions")`` reads the latest version through the
``deltalake`` package; ``as_of=`` takes a Delta version (int) or a business date
(the latest version whose run recorded an as-of date on or before it).

On an ``s3a://`` root the ``[s3]`` settings (endpoint, region) and the AWS credential
variables reach ``deltalake`` through :func:`lakehouse.storage.deltalake_options`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehouse.asof import close_version
from lakehouse.errors import LakehouseError
from lakehouse.storage import deltalake_options, explain_delta_error, is_s3, locate

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    from deltalake import DeltaTable

    from lakehouse.config import S3Settings


def resolve_root(root: str | None = None) -> tuple[str, S3Settings | None]:
    """The lakehouse root (``root`` or ``[storage] root``) and the ``[s3]`` settings its
    clients need (None for a local root given explicitly: no configuration is read)."""
    if root and not is_s3(root):
        return root, None
    from lakehouse.config import load_settings

    settings = load_settings()
    return (root or settings.storage.root), settings.s3


def table_uri(name: str, root: str | None = None) -> str:
    """Where ``<layer>.<table>`` lives under ``root`` (default: the configured root)."""
    return locate(resolve_root(root)[0], name)


def open_delta(uri: str, s3: S3Settings | None = None) -> DeltaTable | None:
    """The Delta table at ``uri`` through ``deltalake`` (None when there is none); a store
    that cannot be reached or read raises a one-line StorageError."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    options = deltalake_options(s3, uri) if s3 is not None else {}
    try:
        return DeltaTable(uri, storage_options=options or None)
    except TableNotFoundError:
        return None
    except Exception as exc:
        found = explain_delta_error(exc, uri, s3.endpoint_url) if s3 is not None else None
        if found is None:
            raise
        raise found from None


def recorded_as_of(table: DeltaTable) -> list[tuple[int, str | None]]:
    """Every commit of ``table``: its version and the as-of date its run recorded."""
    commits = []
    for commit in table.history():
        try:
            recorded = json.loads(commit.get("userMetadata") or "{}").get("as_of")
        except (TypeError, ValueError):
            recorded = None
        commits.append((int(commit["version"]), recorded))
    return commits


def _as_of_version(table: DeltaTable, as_of: date) -> int:
    version = close_version(recorded_as_of(table), as_of)
    if version is None:
        raise LakehouseError(
            f"no commit of {table.table_uri} has an as-of date on or before {as_of}"
        )
    return version


def _what_is_there(uri: str) -> str:
    """The fix for a missing table: the tables its layer holds (a local root), or how to
    make the lakehouse when the layer holds none."""
    layer = Path(uri).parent
    local = not is_s3(uri) and layer.is_dir()
    tables = sorted(p.name for p in layer.iterdir() if (p / "_delta_log").is_dir()) if local else []
    if not tables:
        return "run `make demo` or `lakehouse run`"
    return f"the tables in {layer.name} are {', '.join(tables)}"


def open_table(name: str, as_of: int | date | None = None, root: str | None = None) -> DeltaTable:
    base, s3 = resolve_root(root)
    uri = locate(base, name)
    table = open_delta(uri, s3)
    if table is None:
        raise LakehouseError(f"{name} not found at {uri}; {_what_is_there(uri)}")
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
