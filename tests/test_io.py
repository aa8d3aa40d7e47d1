"""lakehouse.io: MERGE semantics (upsert, owned-slice deletes, pruning) and layout upgrades."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, IntegerType, StringType, StructField, StructType

from lakehouse.errors import LeaseLost
from lakehouse.gold import recon_items
from lakehouse.io import (
    _KNOWN_TABLES,
    TableSpec,
    append,
    ensure_table,
    history,
    merge,
    read,
    table_path,
    upgrade_layout,
)
from lakehouse.lease import writer_lease

DAY = date(2026, 11, 2)
NEXT = date(2026, 11, 3)

# a small table partitioned by day, keyed by k, with one business value v
BY_DAY = TableSpec(
    layer="gold",
    name="merge_by_day",
    schema=StructType(
        [
            StructField("k", StringType(), False),
            StructField("v", IntegerType(), True),
            StructField("day", DateType(), True),
            StructField("_run_id", StringType(), True),
        ]
    ),
    keys=("k",),
    partition_by=("day",),
)


def _rows(spark, rows: list[tuple[str, int, date, str]]):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(rows, BY_DAY.schema)


def _files_of(spark, path: str, day: date) -> set[str]:  # type: ignore[no-untyped-def]
    table = spark.read.format("delta").load(path).where(F.col("day") == F.lit(day))
    return set(table.inputFiles())


def _last_commit(spark, path: str):  # type: ignore[no-untyped-def]
    return history(spark, path, 1).first()


def test_merge_upserts_and_a_rerun_changes_no_row(spark, settings, ctx) -> None:  # type: ignore[no-untyped-def]
    path = table_path(settings, BY_DAY)
    merge(_rows(spark, [("a", 1, DAY, "r1"), ("b", 2, DAY, "r1")]), settings, BY_DAY, ctx, step="t")
    merge(_rows(spark, [("b", 3, DAY, "r2"), ("c", 4, DAY, "r2")]), settings, BY_DAY, ctx, step="t")
    merge(_rows(spark, [("b", 3, DAY, "r3"), ("c", 4, DAY, "r3")]), settings, BY_DAY, ctx, step="t")

    expected = _rows(spark, [("a", 1, DAY, "r1"), ("b", 3, DAY, "r2"), ("c", 4, DAY, "r2")])
    assert_df_equality(read(spark, settings, BY_DAY), expected, ignore_row_order=True)
    metrics = _last_commit(spark, path).operationMetrics
    assert (metrics["numTargetRowsUpdated"], metrics["numTargetRowsInserted"]) == ("0", "0")


def test_merge_deletes_what_the_source_dropped_inside_its_scope_only(spark, settings, ctx) -> None:  # type: ignore[no-untyped-def]
    path = table_path(settings, BY_DAY)
    before = [("a", 1, DAY, "r1"), ("b", 2, NEXT, "r1"), ("c", 3, NEXT, "r1"), ("d", 4, DAY, "r1")]
    merge(_rows(spark, before), settings, BY_DAY, ctx, step="t")
    untouched = _files_of(spark, path, DAY)

    scope = F.col("t.day") == F.lit(NEXT)
    source = _rows(spark, [("b", 20, NEXT, "r2"), ("e", 5, NEXT, "r2")])
    merge(source, settings, BY_DAY, ctx, step="t", delete_scope=scope, target_filter=scope)

    # c was in the scope and is gone from the source: deleted; a and d are outside it
    expected = _rows(
        spark,
        [("a", 1, DAY, "r1"), ("b", 20, NEXT, "r2"), ("d", 4, DAY, "r1"), ("e", 5, NEXT, "r2")],
    )
    assert_df_equality(read(spark, settings, BY_DAY), expected, ignore_row_order=True)
    metrics = _last_commit(spark, path).operationMetrics
    assert metrics["numTargetRowsDeleted"] == "1"
    assert _files_of(spark, path, DAY) == untouched  # the partition outside was not rewritten


def test_merge_into_an_empty_filtered_region_appends_and_a_rerun_merges(
    spark, settings, ctx
) -> None:  # type: ignore[no-untyped-def]
    path = table_path(settings, BY_DAY)
    merge(_rows(spark, [("a", 1, DAY, "r1")]), settings, BY_DAY, ctx, step="t")
    scope = F.col("t.day") >= F.lit(NEXT)
    source = _rows(spark, [("b", 2, NEXT, "r2"), ("c", 3, NEXT, "r2")])

    merge(source, settings, BY_DAY, ctx, step="t", delete_scope=scope, target_filter=scope)
    first = _last_commit(spark, path)
    assert (first.operation, first.operationParameters["mode"]) == ("WRITE", "Append")
    # the same run again finds its region filled: a MERGE that changes nothing
    merge(source, settings, BY_DAY, ctx, step="t", delete_scope=scope, target_filter=scope)
    again = _last_commit(spark, path)
    assert again.operation == "MERGE"
    assert (
        again.operationMetrics["numTargetRowsInserted"],
        again.operationMetrics["numTargetRowsUpdated"],
    ) == ("0", "0")

    expected = _rows(spark, [("a", 1, DAY, "r1"), ("b", 2, NEXT, "r2"), ("c", 3, NEXT, "r2")])
    assert_df_equality(read(spark, settings, BY_DAY), expected, ignore_row_order=True)
    assert first.userMetadata == again.userMetadata  # both record the run


def test_a_writer_that_lost_its_lease_commits_nothing_more(spark, settings, ctx) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(spark, [("a", 1, DAY, "r1")])
    with writer_lease(settings, ctx.run_id) as lease:
        append(rows, settings, BY_DAY, ctx, step="t")
        lease.lost_at = "2026-11-02T09:00:00+00:00"  # what the heartbeat records on takeover
        with pytest.raises(LeaseLost, match="lost the writer lease"):
            merge(_rows(spark, [("a", 2, DAY, "r2")]), settings, BY_DAY, ctx, step="t")
        with pytest.raises(LeaseLost):
            append(_rows(spark, [("b", 3, DAY, "r2")]), settings, BY_DAY, ctx, step="t")
        lease.lost_at = None  # leave the block cleanly
    assert_df_equality(read(spark, settings, BY_DAY), rows, ignore_row_order=True)


def test_merge_with_a_scope_but_no_filter_still_matches_keys_anywhere(spark, settings, ctx) -> None:  # type: ignore[no-untyped-def]
    merge(
        _rows(spark, [("a", 1, DAY, "r1"), ("b", 2, NEXT, "r1")]), settings, BY_DAY, ctx, step="t"
    )

    scope = F.col("t.day") == F.lit(NEXT)
    merge(_rows(spark, [("a", 10, DAY, "r2")]), settings, BY_DAY, ctx, step="t", delete_scope=scope)

    expected = _rows(spark, [("a", 10, DAY, "r2")])
    assert_df_equality(read(spark, settings, BY_DAY), expected, ignore_row_order=True)


def _item(item_id: str, state: str) -> dict[str, object]:
    return {"leg": "ledger_partner", "item_id": item_id, "state": state, "_as_of": DAY}


def test_an_older_recon_items_table_is_upgraded_once_keeping_its_rows(spark, settings) -> None:  # type: ignore[no-untyped-def]
    older = replace(
        recon_items.SPEC,
        schema=recon_items.SCHEMA.__class__(
            [f for f in recon_items.SCHEMA.fields if f.name != "_closed_as_of"]
        ),
        partition_by=(),
        backfill=(),
    )
    path = ensure_table(spark, settings, older)
    rows = [_item("a", "MATCHED"), _item("b", "PENDING"), _item("c", "WRITTEN_OFF")]
    frame = spark.createDataFrame(rows).select(
        *[
            F.col(f.name).cast(f.dataType).alias(f.name)
            if f.name in rows[0]
            else F.lit(None).cast(f.dataType).alias(f.name)
            for f in older.schema.fields
        ]
    )
    frame.write.format("delta").mode("append").save(path)

    _KNOWN_TABLES.discard(path)  # as in a new process
    assert ensure_table(spark, settings, recon_items.SPEC) == path  # upgrades it
    assert upgrade_layout(spark, path, recon_items.SPEC) is False

    detail = DeltaTable.forPath(spark, path).detail().first()
    assert detail is not None and list(detail.partitionColumns) == ["_closed_as_of", "leg"]
    got = read(spark, settings, recon_items.SPEC).select("item_id", "state", "_closed_as_of")
    expected = spark.createDataFrame(
        [("a", "MATCHED", DAY), ("b", "PENDING", None), ("c", "WRITTEN_OFF", DAY)],
        "item_id string, state string, _closed_as_of date",
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)
    assert table_path(settings, recon_items.SPEC) == path


def test_merge_with_key_bounds_never_reads_files_outside_them(spark, settings, ctx) -> None:  # type: ignore[no-untyped-def]
    path = table_path(settings, BY_DAY)
    merge(
        _rows(spark, [("a1", 1, DAY, "r1"), ("a2", 2, DAY, "r1")]), settings, BY_DAY, ctx, step="t"
    )
    merge(_rows(spark, [("b1", 3, NEXT, "r1")]), settings, BY_DAY, ctx, step="t")
    # the a-file vanishes from disk: a MERGE that read it would fail
    for uri in _files_of(spark, path, DAY):
        Path(uri.removeprefix("file:")).unlink()

    source = _rows(spark, [("b1", 30, NEXT, "r2"), ("b2", 4, NEXT, "r2")])
    merge(source, settings, BY_DAY, ctx, step="t", key_bounds=("b1", "b2"))

    expected = _rows(spark, [("b1", 30, NEXT, "r2"), ("b2", 4, NEXT, "r2")])
    got = read(spark, settings, BY_DAY).where(F.col("day") == F.lit(NEXT))
    assert_df_equality(got, expected, ignore_row_order=True)


def test_merge_refuses_key_bounds_with_a_delete_scope(spark, settings, ctx) -> None:  # type: ignore[no-untyped-def]
    source = _rows(spark, [("b1", 3, NEXT, "r1")])
    with pytest.raises(ValueError, match="key_bounds cannot be combined with delete_scope"):
        merge(
            source, settings, BY_DAY, ctx, step="t", delete_scope=F.lit(True), key_bounds=("b", "c")
        )
