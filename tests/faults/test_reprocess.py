"""Idempotent days: re-running an earlier day, or a backfill over days already run,
ends where a clean run of every day ends, and keeps the books before it readable."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from deltalake import DeltaTable

from lakehouse.errors import LakehouseError
from lakehouse.gold.books import Books
from lakehouse.reprocess import plan
from tests.faults.conftest import LAST, LONG, START, long_only
from tests.faults.invariants import (
    business_rows,
    gold_differences,
    quality_totals,
    storage_problems,
    table,
)

D1, D2, D3, D4 = (date(2026, 11, d) for d in (1, 2, 3, 4))


def test_new_days_and_the_last_day_again_run_in_full():
    assert plan(Books(None, None), None, D1, D2).forward == [D1, D2]
    assert plan(Books(D2, D2), D2, D3, D3).forward == [D3]
    again = plan(Books(D2, D2), D2, D2, D3)
    assert (again.replay, again.forward, again.describe()) == ([], [D2, D3], "")


def test_an_earlier_day_replays_every_later_day_after_a_rewind():
    todo = plan(Books(D4, D4), D4, D2, D2)
    assert (todo.rewind_to, todo.replay, todo.forward) == (D1, [D2, D3, D4], [])
    assert "2026-11-02..2026-11-04 are reconciled again" in todo.describe()
    longer = plan(Books(D3, D3), D3, D2, D4)
    assert (longer.rewind_to, longer.replay, longer.forward) == (D1, [D2, D3], [D4])


def test_an_unfinished_reprocessing_is_finished_first():
    # the books stand at D2 though D4 was reconciled: a reprocessing stopped there
    assert plan(Books(D2, D4), D4, D4, D4).replay == [D3, D4]
    assert plan(Books(D2, D4), D4, D4, D4).rewind_to == D2
    assert plan(Books(D2, D4), D4, D1, D1).replay == [D1, D2, D3, D4]


def test_days_silver_was_refined_for_are_reconciled_from_it_not_refined_again():
    # gold deleted to rebuild it from silver: every day up to D3 from silver as known by it
    rebuild = plan(Books(None, None), D3, D1, D4)
    assert (rebuild.replay, rebuild.forward) == ([D1, D2, D3], [D4])
    # refine ran ahead for D4 by itself: D4 is reconciled from it
    assert plan(Books(D3, D3), D4, D4, D4).replay == [D4]


def test_a_range_that_ends_before_it_starts_is_one_clear_error():
    with pytest.raises(LakehouseError, match="--end 2026-11-01 is before --start 2026-11-02"):
        plan(Books(None, None), None, D2, D1)


def _rewinds(root, name: str) -> list[int]:
    history = DeltaTable(str(root / "gold" / name)).history()
    return sorted(
        int(c["version"])
        for c in history
        if json.loads(c.get("userMetadata") or "{}").get("step") == "rewind"
    )


@pytest.mark.spark
@long_only
def test_rerunning_an_earlier_day_ends_where_a_clean_run_ends(clean, spark):
    from lakehouse.pipeline import run_day, run_days
    from lakehouse.readers import read_table

    root = clean.copy(clean.root, "rerun-day2")
    settings = clean.settings(root)
    before = business_rows(table(root, "gold", "recon_matches"))
    messages: list[str] = []
    result = run_day(START + timedelta(days=1), settings, spark, progress=messages.append)

    assert result.as_of == START + timedelta(days=1)
    assert any("are reconciled again in order (2 day(s))" in m for m in messages), messages
    assert gold_differences(root, clean.gold) == []
    assert storage_problems(root) == []
    assert quality_totals(root) == clean.quality
    # time travel keeps what the books said before the reprocessing
    [rewind] = _rewinds(root, "recon_matches")
    assert business_rows(table(root, "gold", "recon_matches", rewind - 1)) == before
    # and "as of day 2" now answers from the new books, equal to the clean run's
    for day in (START, START + timedelta(days=1), LAST):
        got = read_table("gold.recon_items", as_of=day, root=str(root))
        want = read_table("gold.recon_items", as_of=day, root=str(clean.root))
        assert business_rows(got) == business_rows(want), day

    if not LONG:
        return
    # a backfill over days already run: the same end state again
    run_days(START, LAST, settings, spark)
    assert gold_differences(root, clean.gold) == []
    assert storage_problems(root) == []


@pytest.mark.spark
@long_only
def test_a_run_as_of_a_day_reads_silver_as_known_by_that_day(clean, spark):
    from lakehouse.gold.close import recorded_snapshot
    from lakehouse.gold.snapshot import silver_as_known_by

    settings = clean.settings(clean.root)
    day2 = START + timedelta(days=1)
    entry = clean.corrected_entry

    def amount(day: date) -> str:
        frames = silver_as_known_by(spark, settings, day).read(spark, settings)
        rows = frames["ledger_entries"].where(f"entry_id = '{entry}'").collect()
        return str(rows[0].amount)

    # the correction delivered on day 3 is not known by day 2
    assert Decimal(amount(LAST)) == Decimal(amount(day2)) + Decimal("1.00")
    # each close recorded the snapshot its run read: reading it again gives the same rows
    assert recorded_snapshot(spark, settings, LAST) == silver_as_known_by(spark, settings, LAST)
    recorded = recorded_snapshot(spark, settings, day2)
    assert recorded is not None and recorded.tables["ledger_entries"].late_version is None
    now = silver_as_known_by(spark, settings, day2)
    assert now.tables["ledger_entries"].late_version is not None  # later versions exist
    for name, frame in recorded.read(spark, settings).items():
        again = now.read(spark, settings)[name]
        assert sorted(map(repr, frame.collect())) == sorted(map(repr, again.collect())), name
