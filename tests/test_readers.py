"""Analyst readers: latest, by version and by business date, without a JVM."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from deltalake import CommitProperties, write_deltalake

import lakehouse
from lakehouse.errors import LakehouseError


def _write(root, day: str, rows: list[int], mode: str) -> None:
    table = pa.table({"as_of_date": [date.fromisoformat(day)] * len(rows), "n": rows})
    meta = json.dumps({"run_id": f"r-{day}", "as_of": day, "step": "reconcile"})
    write_deltalake(
        f"{root}/gold/daily_summary",
        table,
        mode=mode,
        commit_properties=CommitProperties(custom_metadata={"userMetadata": meta}),
    )


def test_read_table_latest_version_and_business_date(tmp_path):
    _write(tmp_path, "2026-11-02", [1], "append")
    _write(tmp_path, "2026-11-03", [2, 3], "append")
    root = str(tmp_path)
    assert sorted(lakehouse.read_table("gold.daily_summary", root=root).n) == [1, 2, 3]
    assert list(lakehouse.read_table("gold.daily_summary", as_of=0, root=root).n) == [1]
    as_of = lakehouse.read_table("gold.daily_summary", as_of=date(2026, 11, 2), root=root)
    assert list(as_of.n) == [1]
    assert lakehouse.read_table_polars("gold.daily_summary", root=root).height == 3


def test_read_table_errors_name_the_fix(tmp_path):
    with pytest.raises(LakehouseError, match="make demo"):
        lakehouse.read_table("gold.recon_items", root=str(tmp_path))
    with pytest.raises(LakehouseError, match=r"<layer>\.<table>"):
        lakehouse.read_table("recon_items", root=str(tmp_path))


def test_a_table_the_layer_does_not_hold_names_the_tables_it_does(tmp_path):
    _write(tmp_path, "2026-11-02", [1], "append")
    (tmp_path / "gold" / "not_a_table").mkdir()
    with pytest.raises(
        LakehouseError,
        match=r"gold\.recon_itemz not found at .*; the tables in gold are daily_summary$",
    ):
        lakehouse.read_table("gold.recon_itemz", root=str(tmp_path))
