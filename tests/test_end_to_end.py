"""One end-to-end run: generated feeds -> bronze -> silver -> gold over five days.

Exact gold counts are asserted through the generator's ground truth (every planted
match and break found, nothing else), then the guarantees of DESIGN §4: re-running a
day changes nothing, a late bank line moves an exception to MATCHED, time travel
answers "as of D", and a manual match survives a full backfill.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from lakehouse.config import Settings, load_settings
from lakehouse.pipeline import run_day
from lakehouse.readers import read_table
from lakehouse.score import score
from lakehouse.synthetic.generator import generate

START = date(2026, 11, 2)
DAYS = 5
LAST = START + timedelta(days=DAYS - 1)
GOLD = (
    "recon_items",
    "recon_matches",
    "recon_exceptions",
    "exception_queue",
    "aging",
    "daily_summary",
)


@dataclass
class Run:
    settings: Settings
    truth: Path
    root: str


def business_snapshot(root: str, table: str, as_of_date: date | None = None) -> list[tuple]:
    df = read_table(f"gold.{table}", root=root)
    if as_of_date is not None:
        df = df[df.as_of_date.map(lambda v: str(v)[:10]) == str(as_of_date)]
    columns = sorted(c for c in df.columns if not c.startswith("_"))
    rows = [tuple(str(v) for v in row) for row in df[columns].itertuples(index=False)]
    return sorted(rows)


@pytest.fixture(scope="module")
def run(spark, tmp_path_factory) -> Run:
    import os

    base = tmp_path_factory.mktemp("e2e")
    env = dict(os.environ, LAKEHOUSE_ROOT=str(base / "lake"), LAKEHOUSE_LANDING=str(base / "land"))
    settings = load_settings(env=env)
    generate(11, START, DAYS, 40, base / "land", base / "truth")
    for i in range(DAYS):
        run_day(START + timedelta(days=i), settings, spark)
    return Run(settings, base / "truth", settings.storage.root)


def test_gold_matches_the_ground_truth_exactly(run):
    result = score(run.truth, run.root)
    assert result["misses"] == [] and result["false_positives"] == []
    assert result["overall"]["precision"] == 1.0
    assert result["overall"]["recall"] == 1.0
    with (run.truth / "matches.csv").open() as fh:
        truth_matches = sum(1 for _ in csv.DictReader(fh))
    matches = read_table("gold.recon_matches", root=run.root)
    assert int((matches.status == "MATCHED").sum()) == truth_matches
    reasons = set(read_table("gold.recon_exceptions", root=run.root).reason_code)
    assert reasons == {
        "MISSING_COUNTERPART",
        "AMOUNT_MISMATCH",
        "CURRENCY_MISMATCH",
        "DUPLICATE",
        "FEE_VARIANCE",
        "UNEXPECTED_BANK_ITEM",
        "RETURNED",
    }


def test_every_gold_table_readable_without_jvm(run):
    for table in GOLD:
        assert len(read_table(f"gold.{table}", root=run.root)) > 0, table


def test_open_items_are_kept_apart_from_closed_ones(run):
    items = read_table("gold.recon_items", root=run.root)
    is_open = items.state.isin(["PARTIAL", "PENDING", "EXCEPTION"])
    assert is_open.any() and (~is_open).any()
    assert items[is_open]._closed_as_of.isna().all()
    assert (items[~is_open]._closed_as_of.notna()).all()
    assert (items[~is_open]._closed_as_of >= items[~is_open].business_date).all()


def test_late_bank_line_moves_exception_to_matched(run):
    payout = "adyen:batch-1000:MerchantPayout"

    def state(as_of: date | None) -> str:
        items = read_table("gold.recon_items", as_of=as_of, root=run.root)
        return str(items[items.item_ref == payout].state.iloc[0])

    assert state(START + timedelta(days=2)) == "EXCEPTION"
    assert state(START + timedelta(days=3)) == "MATCHED"


def test_nacha_return_reverses_the_match_of_the_entry_it_names(run):
    items = read_table("gold.recon_items", root=run.root)
    matches = read_table("gold.recon_matches", root=run.root)
    returned = items[(items.reason_code == "RETURNED") & (items.side == "left")].iloc[0]
    reversal = matches[matches.match_id == returned.match_id].iloc[0]
    assert (reversal.status, reversal.strategy) == ("REVERSED", "reversal")
    assert list(reversal.left_ids) == [returned.item_id]
    [return_id] = list(reversal.right_ids)
    the_return = items[items.item_id == return_id].iloc[0]
    assert (the_return.state, the_return.reason_code) == ("EXCEPTION", "RETURNED")
    assert the_return.amount == -returned.amount
    # the ACH batch the entry was settled in stays MATCHED: the bank did credit it
    batch = matches[matches.left_ids.apply(lambda ids: returned.item_id in list(ids))]
    assert set(batch.status) == {"MATCHED", "REVERSED"}
    # before the return arrived the entry was MATCHED; as of its date it is not
    before = read_table(
        "gold.recon_items", as_of=the_return.business_date - timedelta(days=1), root=run.root
    )
    assert before[before.item_id == returned.item_id].state.tolist() == ["MATCHED"]


def test_rerunning_the_last_day_changes_no_business_column(run, spark):
    before = {t: business_snapshot(run.root, t) for t in GOLD}
    run_day(LAST, run.settings, spark)
    after = {t: business_snapshot(run.root, t) for t in GOLD}
    assert before == after


def test_manual_match_survives_a_full_backfill(run, spark):
    from lakehouse.decisions import record_decision

    items = read_table("gold.recon_items", root=run.root)
    partial = items[(items.reason_code == "AMOUNT_MISMATCH") & (items.leg == "ledger_partner")]
    match_id = partial.match_id.iloc[0]
    left = partial[(partial.match_id == match_id) & (partial.side == "left")].item_id.tolist()
    right = partial[(partial.match_id == match_id) & (partial.side == "right")].item_id.tolist()
    decided = datetime.combine(START + timedelta(days=2), time(12, 0), UTC)
    record_decision(
        run.settings,
        "match",
        "ledger_partner",
        reason="short payment accepted",
        user="analyst@lender",
        left_ids=left,
        right_ids=right,
        decided_at=decided,
    )
    fee = items[items.reason_code == "UNEXPECTED_BANK_ITEM"].item_id.iloc[0]
    record_decision(
        run.settings,
        "write_off",
        "ledger_bank",
        reason="bank fee, booked by hand",
        user="analyst@lender",
        item_id=fee,
        decided_at=decided,
    )
    returned = items[(items.reason_code == "RETURNED") & (items.side == "left")].item_id.iloc[0]
    queue = read_table("gold.exception_queue", root=run.root)
    # a break already in the queue before the decisions take effect, decided on by no one
    worked = queue[
        (queue.status != "RESOLVED")
        & (queue.opened_as_of.map(lambda d: str(d)[:10]) < str(decided.date()))
        & ~queue.item_id.isin([*left, *right, fee, returned])
    ].iloc[0]
    for action, extra in (("assign", {"owner": "ops-anna"}), ("comment", {})):
        record_decision(
            run.settings,
            action,
            worked.leg,
            reason="chasing the partner",
            user="analyst@lender",
            item_id=worked.item_id,
            decided_at=decided,
            **extra,
        )
    record_decision(
        run.settings,
        "write_off",
        "ledger_bank",
        reason="borrower in collections",
        user="analyst@lender",
        item_id=returned,
        decided_at=decided + timedelta(days=2),
    )
    for i in range(DAYS):  # a full backfill, oldest day first
        run_day(START + timedelta(days=i), run.settings, spark)
    items = read_table("gold.recon_items", root=run.root)
    assert items[items.item_id == returned].state.tolist() == ["WRITTEN_OFF"]
    # writing off one member of a MATCHED ACH batch leaves the batch matched
    matches = read_table("gold.recon_matches", root=run.root)
    batch = matches[
        (matches.status == "MATCHED") & matches.left_ids.apply(lambda ids: returned in list(ids))
    ]
    assert len(batch) == 1
    others = [i for i in batch.left_ids.iloc[0] if i != returned]
    assert set(items[items.item_id.isin(others)].state) == {"MATCHED"}
    chosen = items[items.item_id.isin(left + right)]
    assert set(chosen.state) == {"MATCHED"}
    assert chosen.rule.str.startswith("manual:").all()
    assert items[items.item_id == fee].state.tolist() == ["WRITTEN_OFF"]
    exceptions = read_table("gold.recon_exceptions", root=run.root)
    assert not exceptions.item_id.isin([*left, *right, fee, returned]).any()
    decisions = read_table("silver.manual_decisions", root=run.root)
    assert set(decisions.decided_by) == {"analyst@lender"} and len(decisions) == 5
    outcomes = read_table("gold.decision_outcomes", root=run.root)
    assert set(outcomes.outcome) == {"APPLIED"} and len(outcomes) == 5
    # the queue after the backfill: the work decisions hold, the resolved ones are gone
    queue = read_table("gold.exception_queue", root=run.root)
    row = queue[(queue.leg == worked.leg) & (queue.item_id == worked.item_id)].iloc[0]
    assert (row.owner, row.status, row.last_note, row.notes) == (
        "ops-anna",
        "ASSIGNED",
        "chasing the partner",
        1,
    )
    assert not queue[queue.status != "RESOLVED"].item_id.isin([*left, *right, fee]).any()
    # as the books closed the day before the decisions took effect: nobody owned it
    before = read_table(
        "gold.exception_queue", as_of=decided.date() - timedelta(days=1), root=run.root
    )
    earlier = before[(before.leg == worked.leg) & (before.item_id == worked.item_id)]
    assert len(earlier) == 1 and earlier.owner.isna().all() and earlier.notes.tolist() == [0]


def _cli(monkeypatch, capsys, run: Run, *argv: str) -> tuple[int, str]:
    from lakehouse import cli

    monkeypatch.setenv("LAKEHOUSE_ROOT", run.root)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(argv))
    return int(exit_info.value.code or 0), capsys.readouterr().out


def test_cli_exceptions_filters_and_csv(run, monkeypatch, capsys):
    code, out = _cli(
        monkeypatch,
        capsys,
        run,
        "exceptions",
        "--format",
        "csv",
        "--reason",
        "UNEXPECTED_BANK_ITEM",
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("leg,item_id,item_ref,state,reason_code")
    assert len(lines) > 1 and all(",UNEXPECTED_BANK_ITEM," in line for line in lines[1:])


def test_cli_history_and_audit_by_as_of_date(run, monkeypatch, capsys):
    code, out = _cli(monkeypatch, capsys, run, "history", "--table", "recon_exceptions", "--json")
    assert code == 0 and '"as_of": "2026-11-02"' in out and '"run_id"' in out
    code, out = _cli(
        monkeypatch,
        capsys,
        run,
        "audit",
        "--table",
        "daily_summary",
        "--as-of",
        "2026-11-02",
        "--json",
    )
    assert code == 0 and '"2026-11-03' not in out and "2026-11-02" in out


def test_cli_error_names_the_fix(run, monkeypatch, capsys):
    code, _ = _cli(monkeypatch, capsys, run, "audit", "--table", "no_such_table")
    assert code == 2


def test_runs_from_the_close_equal_whole_window_runs(run, spark, tmp_path):
    """Each day of the fixture (and of the backfill with decisions above) started from
    the previous close; a lakehouse that re-reads the whole window every day over the
    same feeds must hold exactly the same gold rows."""
    import os

    env = dict(
        os.environ,
        LAKEHOUSE_ROOT=str(tmp_path / "lake"),
        LAKEHOUSE_LANDING=run.settings.storage.landing,
        LAKEHOUSE__RECONCILE__FROM_CLOSE="false",
    )
    whole_window = load_settings(env=env)
    assert run.settings.reconcile_from_close and not whole_window.reconcile_from_close
    for i in range(DAYS):
        run_day(START + timedelta(days=i), whole_window, spark)
    for table in ("recon_items", "recon_matches"):
        assert business_snapshot(whole_window.storage.root, table) == business_snapshot(
            run.root, table
        ), table
    # derived per-day tables: the fixture's earlier days were re-run after later ones
    # (the backfill above), so only the last day is comparable
    for table in ("daily_summary", "aging"):
        last = business_snapshot(run.root, table, as_of_date=LAST)
        assert last, table
        assert last == business_snapshot(whole_window.storage.root, table, as_of_date=LAST), table
    closes = read_table("gold._open_items", root=run.root)
    assert set(closes.as_of.map(str)) >= {str(LAST)}
