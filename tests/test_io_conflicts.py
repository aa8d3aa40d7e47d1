"""Delta write conflicts: another writer commits to the table between our MERGE's read
and its commit. Retried when it happens once; one clear error when it persists.

The conflict is made deterministic: the MERGE's source passes a gate (a Python UDF in
a Spark worker) that waits, after the MERGE has read the table, until the test has
committed an append to that same table.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql.types import LongType, StringType, StructField, StructType

from lakehouse import io
from lakehouse.errors import WriteConflict
from lakehouse.io import TableSpec, append, merge, table_path
from lakehouse.pipeline import context

pytestmark = pytest.mark.spark

SPEC = TableSpec(
    layer="gold",
    name="conflicts",
    schema=StructType(
        [StructField("id", LongType(), False), StructField("value", StringType(), True)]
    ),
    keys=("id",),
)


def _gated(spark, rows: list[tuple[int, str]], gate: Path):  # type: ignore[no-untyped-def]
    folder = str(gate)

    def wait(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import os
        import time as clock
        import uuid as ids

        ticket = ids.uuid4().hex
        open(os.path.join(folder, f"started-{ticket}"), "w").close()
        while not os.path.exists(os.path.join(folder, f"go-{ticket}")):
            clock.sleep(0.02)
        yield from batches

    frame = spark.createDataFrame(rows, SPEC.schema).repartition(1)
    return frame.mapInPandas(wait, SPEC.schema)


class Intruder(threading.Thread):
    """Commits an append to the table each time a MERGE reaches the gate (``times`` of
    them), then opens the gate."""

    def __init__(self, spark, settings, gate: Path, times: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.spark, self.settings, self.gate, self.times = spark, settings, gate, times
        self.stop = threading.Event()
        self.appended = 0

    def run(self) -> None:
        seen: set[str] = set()
        ctx = context(self.settings, date(2026, 11, 2), run_id=f"intruder-{uuid.uuid4().hex[:6]}")
        while not self.stop.is_set():
            for flag in sorted(self.gate.glob("started-*")):
                ticket = flag.name.removeprefix("started-")
                if ticket in seen:
                    continue
                seen.add(ticket)
                if self.appended < self.times:
                    row = [(1000 + self.appended, "intruder")]
                    append(
                        self.spark.createDataFrame(row, SPEC.schema),
                        self.settings,
                        SPEC,
                        ctx,
                        step="intruder",
                    )
                    self.appended += 1
                (self.gate / f"go-{ticket}").touch()
            time.sleep(0.02)


def _setup(spark, settings, tmp_path: Path, times: int, monkeypatch):  # type: ignore[no-untyped-def]
    ctx = context(settings, date(2026, 11, 2), run_id="conflict-test")
    merge(spark.createDataFrame([(1, "a")], SPEC.schema), settings, SPEC, ctx, step="seed")
    gate = tmp_path / "gate"
    gate.mkdir()
    intruder = Intruder(spark, settings, gate, times)
    intruder.start()
    monkeypatch.setattr(io.time, "sleep", lambda _s: None)  # no backoff in the test
    return ctx, gate, intruder


def test_a_concurrent_commit_between_read_and_write_is_retried(
    spark, settings, tmp_path, monkeypatch, caplog
):
    ctx, gate, intruder = _setup(spark, settings, tmp_path, 1, monkeypatch)
    try:
        merge(_gated(spark, [(1, "b"), (2, "c")], gate), settings, SPEC, ctx, step="test")
    finally:
        intruder.stop.set()
        intruder.join(10)
    assert intruder.appended == 1
    assert "concurrent commit (ConcurrentAppendException" in caplog.text
    path = table_path(settings, SPEC)
    rows = sorted(tuple(r) for r in spark.read.format("delta").load(path).collect())
    assert rows == [(1, "b"), (2, "c"), (1000, "intruder")]


def test_a_conflict_that_persists_is_one_clear_error(spark, settings, tmp_path, monkeypatch):
    ctx, gate, intruder = _setup(spark, settings, tmp_path, 10, monkeypatch)
    try:
        with pytest.raises(WriteConflict) as failure:
            merge(_gated(spark, [(1, "b")], gate), settings, SPEC, ctx, step="test")
    finally:
        intruder.stop.set()
        intruder.join(10)
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith(table_path(settings, SPEC))
    assert "(ConcurrentAppendException), 4 times in a row" in message
    assert "writer lease" in message
