"""kill -9 of the whole process tree (the CLI, Spark's JVM and its Python workers) at
each step boundary and in the middle of each step's writes, then a plain re-run of the
day: every invariant of :mod:`tests.faults.invariants` holds and gold equals a clean
run's.

The points are hooks in the code (``lakehouse.faults``), not sleeps. CI runs one
point, during the close (``CI_POINTS``); ``LAKEHOUSE_FAULTS_LONG=1`` runs them all.
"""

from __future__ import annotations

import signal

import pytest

from tests.faults.conftest import LAST, LONG, START, long_only
from tests.faults.crash import run
from tests.faults.invariants import gold_differences, quality_totals, storage_problems

pytestmark = [pytest.mark.integration, pytest.mark.spark]

# (point, where): ``write:<table>`` fires mid-write, once the first data file is on disk
POINTS = [
    ("ingest.between_files#2", "ingest: between two files"),
    ("write:bronze.ledger", "ingest: during one append"),
    ("ingest.before_manifest", "ingest: files written, manifest not"),
    ("run.after_ingest", "step boundary ingest | refine"),
    ("refine.between_merges", "refine: between two tables' MERGEs"),
    ("refine.before_watermark", "refine: between the MERGEs and their watermark"),
    ("run.after_refine", "step boundary refine | reconcile"),
    ("reconcile.after_recon_matches", "reconcile: between the gold MERGEs"),
    ("reconcile.after_recon_items", "reconcile: between the gold MERGEs"),
    ("reconcile.before_close", "reconcile: gold written, close not"),
    ("write:gold._open_items", "reconcile: during the close (_open_items)"),
    ("reconcile.before_retention", "reconcile: close written, retention not"),
]
CI_POINTS = {"write:gold._open_items"}
SELECTED = [p for p in POINTS if LONG or p[0] in CI_POINTS]

# a small JVM for the killed run (the test's own Spark session runs the re-run)
SMALL_SPARK = {
    "LAKEHOUSE__SPARK__DRIVER_MEMORY": "1g",
    "LAKEHOUSE__SPARK__SHUFFLE_PARTITIONS": "2",
}


def _slug(point: str) -> str:
    return point.replace(":", "-").replace("#", "-").replace(".", "-")


@pytest.mark.parametrize(("point", "where"), SELECTED, ids=[p for p, _ in SELECTED])
def test_kill_9_then_a_plain_rerun(point, where, clean, spark):
    from lakehouse.pipeline import run_day

    root = clean.copy(clean.after_day2, f"kill-{_slug(point)}")
    env = clean.env(root, LAKEHOUSE_FAULT_AT=point, **SMALL_SPARK)
    crashed = run(env, "run", "--date", LAST.isoformat())
    assert crashed.code == -signal.SIGKILL, f"{where}: not killed\n{crashed.stderr[-3000:]}"
    assert f"fault injected at {point.partition('#')[0]}" in crashed.stderr
    assert crashed.group_gone, f"{where}: a process of the killed tree survived"

    run_day(LAST, clean.settings(root), spark)  # the plain re-run of the day

    assert gold_differences(root, clean.gold) == [], where
    assert storage_problems(root) == [], where
    assert quality_totals(root) == clean.quality, where


@long_only
@pytest.mark.parametrize("point", ["rewind.after_table", "reprocess.between_days#1"])
def test_kill_9_during_a_reprocessing_then_the_same_command_again(point, clean, spark):
    from lakehouse.pipeline import run_day

    root = clean.copy(clean.root, f"kill-{_slug(point)}")
    env = clean.env(root, LAKEHOUSE_FAULT_AT=point, **SMALL_SPARK)
    crashed = run(env, "run", "--date", START.isoformat())
    assert crashed.code == -signal.SIGKILL, crashed.stderr[-3000:]
    assert crashed.group_gone

    run_day(START, clean.settings(root), spark)  # the same command again

    assert gold_differences(root, clean.gold) == []
    assert storage_problems(root) == []
