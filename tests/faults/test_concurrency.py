"""Concurrent entry points: each waits for the writer lease or fails with one clear line,
and every invariant holds afterwards (no duplicate match_id, each file once in the
manifest, quality metrics counted once).

The lease is taken before Spark starts, so a refused writer costs no JVM.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from datetime import UTC, datetime
from datetime import time as clock

import pytest

from tests.faults.conftest import LAST, long_only
from tests.faults.crash import finish, run, start
from tests.faults.invariants import (
    gold_differences,
    quality_totals,
    storage_problems,
    table,
)

pytestmark = [pytest.mark.integration, pytest.mark.spark]

SMALL_SPARK = {
    "LAKEHOUSE__SPARK__DRIVER_MEMORY": "1g",
    "LAKEHOUSE__SPARK__SHUFFLE_PARTITIONS": "2",
}
WAITING = "waiting for the writer lease held by"


@long_only
def test_the_same_day_twice_and_an_earlier_day_at_once(clean):
    """`run` of day 3 twice and of day 2 together, on a lakehouse at day 2: one writes at
    a time, and the end equals a clean run whatever the order."""
    root = clean.copy(clean.after_day2, "three-at-once")
    # Nothing is killed here: a holder is stale only after a minute without a heartbeat
    # (the suite's 0.5 s, made for killed holders, let a loaded machine's pause hand a
    # live holder's lease to a waiting run).
    env = clean.env(
        root,
        LAKEHOUSE__LEASE__WAIT_SECONDS="2400",
        LAKEHOUSE__LEASE__HEARTBEAT_SECONDS="1",
        LAKEHOUSE__LEASE__STALE_AFTER_HEARTBEATS="60",
        **SMALL_SPARK,
    )
    day2 = LAST.replace(day=LAST.day - 1)
    runs = [
        start(env, "run", "--date", LAST.isoformat()),
        start(env, "run", "--date", LAST.isoformat()),
        start(env, "run", "--date", day2.isoformat()),
    ]
    done = [finish(p) for p in runs]
    assert [d.code for d in done] == [0, 0, 0], [d.stderr[-2000:] for d in done]
    assert sum(WAITING in d.stderr for d in done) >= 2  # two of them waited their turn
    assert gold_differences(root, clean.gold) == []
    assert storage_problems(root) == []
    assert quality_totals(root) == clean.quality
    matches = table(root, "gold", "recon_matches")
    assert not matches.match_id.duplicated().any()


def test_a_run_while_maintenance_holds_the_lease_waits_then_fails_naming_it(clean):
    from lakehouse.lease import writer_lease

    root = clean.copy(clean.after_day2, "maintenance-holds")
    env = clean.env(root, LAKEHOUSE__LEASE__WAIT_SECONDS="3")
    with writer_lease(clean.settings(root), "maintenance-20261105T010000"):
        started = time.monotonic()
        refused = run(env, "run", "--date", LAST.isoformat())
        waited = time.monotonic() - started
    assert refused.code == 2
    [line] = [x for x in refused.stderr.splitlines() if x.startswith("error:")]
    assert "being written by run maintenance-20261105T010000 (host" in line
    assert "Traceback" not in refused.stderr and waited >= 3
    assert storage_problems(root) == []  # nothing was written


@long_only
def test_a_decision_recorded_while_a_run_is_in_flight(clean, spark, tmp_path):
    from lakehouse.decisions import record_decision
    from lakehouse.pipeline import run_day

    root = clean.copy(clean.after_day2, "decision-in-flight")
    landing = tmp_path / "landing"
    shutil.copytree(clean.landing, landing)
    env = {**clean.env(root, **SMALL_SPARK), "LAKEHOUSE_LANDING": str(landing)}
    settings = clean.settings(root)
    settings = replace(settings, storage=replace(settings.storage, landing=str(landing)))
    exceptions = table(clean.root, "gold", "recon_exceptions")
    item = exceptions[exceptions.leg == "ledger_bank"].item_id.iloc[0]

    running = start(env, "run", "--date", LAST.isoformat())
    lease = root / "_writer.lease"
    deadline = time.monotonic() + 600
    while not lease.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lease.exists(), "the run did not start"
    record, where = record_decision(
        settings,
        "write_off",
        "ledger_bank",
        reason="bank fee booked by hand",
        user="analyst@lender",
        item_id=item,
        decided_at=datetime.combine(LAST, clock(12, 0), UTC),
    )
    assert finish(running).code == 0

    run_day(LAST, settings, spark)  # the next run picks it up if this one did not
    decisions = table(root, "silver", "manual_decisions")
    assert decisions.decision_id.tolist().count(record["decision_id"]) == 1
    items = table(root, "gold", "recon_items")
    assert items[items.item_id == item].state.tolist() == ["WRITTEN_OFF"]
    assert storage_problems(root) == []
    manifest = table(root, "bronze", "_manifest")
    assert manifest.file_path.tolist().count(where) == 1
