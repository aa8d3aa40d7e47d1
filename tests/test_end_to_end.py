"""One end-to-end run: generated feeds -> bronze -> silver -> gold over five days.

Exact gold counts are asserted through the generator's ground truth (every planted
match and break found, nothing else), then the guarantees users rely on: re-running a
day changes nothing, a late bank line moves an exception to MATCHED, time travel
answers "as of D", and manual decisions survive a full backfill.

The tests are independent of each other's order: ``five_days`` is built once and only
read; a test that writes works on its own copy (``own_copy``), and the backfill with
decisions is a module fixture of its own (``decided``), also only read.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from lakehouse.config import Settings, load_settings
from lakehouse.pipeline import run_day, run_days
from lakehouse.readers import read_table
from lakehouse.score import score
from lakehouse.synthetic.generator import generate
from tests.cli.running import one_line_error, run_cli

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


@dataclass(frozen=True)
class Run:
    settings: Settings
    truth: Path
    root: str


def _settings(base: Path) -> Settings:
    """Settings of the lakehouse ``base/lake`` fed by the landing zone ``base/land``."""
    env = {
        **os.environ,
        "LAKEHOUSE_ROOT": str(base / "lake"),
        "LAKEHOUSE_LANDING": str(base / "land"),
    }
    return load_settings(env=env)


def _run_all_days(settings: Settings, spark) -> None:  # type: ignore[no-untyped-def]
    for i in range(DAYS):  # oldest day first
        run_day(START + timedelta(days=i), settings, spark)


def _copy(run: Run, base: Path) -> Run:
    """A private lakehouse and landing zone with the same content and history."""
    for folder in ("lake", "land"):
        shutil.copytree(Path(run.settings.storage.root).parent / folder, base / folder)
    settings = _settings(base)
    return Run(settings, run.truth, settings.storage.root)


def business_snapshot(root: str, table: str, as_of_date: date | None = None) -> list[tuple]:
    df = read_table(f"gold.{table}", root=root)
    if as_of_date is not None:
        df = df[df.as_of_date.map(lambda v: str(v)[:10]) == str(as_of_date)]
    columns = sorted(c for c in df.columns if not c.startswith("_"))
    rows = [tuple(str(v) for v in row) for row in df[columns].itertuples(index=False)]
    return sorted(rows)


@pytest.fixture(scope="module")
def five_days(spark, tmp_path_factory) -> Run:  # type: ignore[no-untyped-def]
    """Five generated days run in order. Tests only read it."""
    base = tmp_path_factory.mktemp("e2e")
    settings = _settings(base)
    generate(11, START, DAYS, 40, base / "land", base / "truth")
    _run_all_days(settings, spark)
    return Run(settings, base / "truth", settings.storage.root)


@pytest.fixture
def own_copy(five_days: Run, tmp_path: Path) -> Run:
    """A copy of ``five_days`` that a test may write to."""
    return _copy(five_days, tmp_path)


@dataclass(frozen=True)
class Decided:
    run: Run
    left: list[str]  # a short payment matched by hand ...
    right: list[str]  # ... with its partner row
    fee: str  # an unexpected bank fee written off
    returned: str  # a returned ACH entry written off, a member of a MATCHED batch
    worked: tuple[str, str]  # (leg, item_id): a break assigned and commented on
    decided_at: datetime  # when the first decisions took effect


@pytest.fixture(scope="module")
def decided(five_days: Run, spark, tmp_path_factory) -> Decided:  # type: ignore[no-untyped-def]
    """A copy of ``five_days`` with three decisions and a break assigned and commented
    on, then every day run again in order by one backfill (``run_days``: one rewind,
    each day reconciled once). Tests only read it."""
    from lakehouse.decisions import record_decision

    run = _copy(five_days, tmp_path_factory.mktemp("decided"))
    items = read_table("gold.recon_items", root=run.root)
    partial = items[(items.reason_code == "AMOUNT_MISMATCH") & (items.leg == "ledger_partner")]
    match_id = partial.match_id.iloc[0]
    left = partial[(partial.match_id == match_id) & (partial.side == "left")].item_id.tolist()
    right = partial[(partial.match_id == match_id) & (partial.side == "right")].item_id.tolist()
    fee = items[items.reason_code == "UNEXPECTED_BANK_ITEM"].item_id.iloc[0]
    returned = items[(items.reason_code == "RETURNED") & (items.side == "left")].item_id.iloc[0]
    decided_at = datetime.combine(START + timedelta(days=2), time(12, 0), UTC)
    who = {"user": "analyst@lender", "decided_at": decided_at}
    record_decision(
        run.settings,
        "match",
        "ledger_partner",
        reason="short payment accepted",
        left_ids=left,
        right_ids=right,
        **who,
    )
    record_decision(
        run.settings,
        "write_off",
        "ledger_bank",
        reason="bank fee, booked by hand",
        item_id=fee,
        **who,
    )
    record_decision(
        run.settings,
        "write_off",
        "ledger_bank",
        reason="borrower in collections",
        item_id=returned,
        user="analyst@lender",
        decided_at=decided_at + timedelta(days=2),
    )
    queue = read_table("gold.exception_queue", root=run.root)
    # a break already in the queue before the decisions take effect, decided on by no one
    worked = queue[
        (queue.status != "RESOLVED")
        & (queue.opened_as_of.map(lambda d: str(d)[:10]) < str(decided_at.date()))
        & ~queue.item_id.isin([*left, *right, fee, returned])
    ].iloc[0]
    for action, extra in (("assign", {"owner": "ops-anna"}), ("comment", {})):
        record_decision(
            run.settings,
            action,
            worked.leg,
            reason="chasing the partner",
            item_id=worked.item_id,
            **who,
            **extra,
        )
    run_days(START, LAST, run.settings, spark)
    return Decided(run, left, right, fee, returned, (worked.leg, worked.item_id), decided_at)


def test_gold_matches_the_ground_truth_exactly(five_days):
    result = score(five_days.truth, five_days.root)
    assert result["misses"] == [] and result["false_positives"] == []
    assert result["overall"]["precision"] == 1.0
    assert result["overall"]["recall"] == 1.0
    with (five_days.truth / "matches.csv").open() as fh:
        truth_matches = sum(1 for _ in csv.DictReader(fh))
    matches = read_table("gold.recon_matches", root=five_days.root)
    assert int((matches.status == "MATCHED").sum()) == truth_matches
    reasons = set(read_table("gold.recon_exceptions", root=five_days.root).reason_code)
    assert reasons == {
        "MISSING_COUNTERPART",
        "AMOUNT_MISMATCH",
        "CURRENCY_MISMATCH",
        "DUPLICATE",
        "FEE_VARIANCE",
        "UNEXPECTED_BANK_ITEM",
        "RETURNED",
    }


CONTRACT = {
    "leg",
    "item_id",
    "as_of",
    "state",
    "reason_code",
    "match_id",
    "rule",
    "confidence",
    "criteria",
    "candidates",
    "summary",
}
PLANTED_TEST = {"AMOUNT_MISMATCH": "amount", "CURRENCY_MISMATCH": "currency", "FEE_VARIANCE": "fee"}


def _failed(criteria: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in criteria if not c["passed"]}


def test_explanations_name_the_planted_break(five_days):
    """Every break the generator planted is explained by the test it planted (with both
    values), or as having no counterpart; every true match passed every test."""
    from lakehouse.explain import Explainer

    with (five_days.truth / "exceptions.csv").open() as fh:
        planted = [(r["leg"], r["item_id"], r["reason_code"]) for r in csv.DictReader(fh)]
    explainer = Explainer(root=five_days.root)
    answers = explainer.explain_many([(leg, ref) for leg, ref, _ in planted])
    assert {reason for _, _, reason in planted} >= {*PLANTED_TEST, "MISSING_COUNTERPART"}
    for (leg, ref, reason), answer in zip(planted, answers, strict=True):
        assert set(answer) == CONTRACT
        assert answer["reason_code"] == reason, (leg, ref)
        if reason in PLANTED_TEST:
            failed = _failed(answer["criteria"])
            test = failed[PLANTED_TEST[reason]]
            assert test["left"] and test["right"], (ref, test)
            assert answer["rule"] and answer["match_id"]
        elif reason in ("MISSING_COUNTERPART", "UNEXPECTED_BANK_ITEM"):
            assert answer["match_id"] is None and answer["criteria"] == []
            assert answer["summary"].startswith("No "), answer["summary"]
            for candidate in answer["candidates"]:
                assert _failed(candidate["criteria"]), (ref, candidate)
        elif reason == "DUPLICATE":
            assert "is already held by" in answer["summary"], answer["summary"]
        elif reason == "RETURNED":
            assert "R0" in answer["summary"] or "R1" in answer["summary"], answer["summary"]
            assert answer["match_id"] and not _failed(answer["criteria"])
    broken = {(leg, ref) for leg, ref, _ in planted}
    with (five_days.truth / "matches.csv").open() as fh:
        matched = [
            (r["leg"], ref)
            for r in csv.DictReader(fh)
            for ref in r["left_ids"].split(";")[:1]
            if (r["leg"], ref) not in broken  # a returned member of an ACH batch
        ]
    for answer in explainer.explain_many(matched):
        assert answer["state"] == "MATCHED" and answer["rule"], answer
        assert answer["criteria"] and not _failed(answer["criteria"]), answer
        assert answer["summary"].startswith("Matched with "), answer["summary"]


def test_every_open_break_has_its_nearest_candidates_recorded(five_days):
    breaks = read_table("gold.recon_exceptions", root=five_days.root)
    candidates = read_table("gold.recon_candidates", root=five_days.root)
    keys = set(zip(candidates.leg, candidates.item_id, strict=True))
    assert set(zip(breaks.leg, breaks.item_id, strict=True)) <= keys
    assert candidates["rank"].between(1, 3).all()
    partial = breaks[breaks.state == "PARTIAL"].iloc[0]
    row = candidates[(candidates.item_id == partial.item_id) & (candidates["rank"] == 1)].iloc[0]
    assert row.candidate_id and row.rule and row.failed >= 1


def test_explain_answers_as_the_books_did(five_days, monkeypatch, capsys):
    import json

    items = read_table("gold.recon_items", root=five_days.root)
    returned = items[(items.reason_code == "RETURNED") & (items.side == "left")].iloc[0]
    match = read_table("gold.recon_matches", root=five_days.root)
    reversal = match[match.match_id == returned.match_id].iloc[0]
    day_before = reversal.business_date - timedelta(days=1)
    code, out = _cli(
        monkeypatch,
        capsys,
        five_days,
        "explain",
        "--leg",
        "ledger_bank",
        "--item",
        returned.item_ref,
        "--as-of",
        day_before.isoformat(),
        "--json",
    )
    answer = json.loads(out)
    assert code == 0 and set(answer) == CONTRACT
    assert (answer["as_of"], answer["state"]) == (day_before.isoformat(), "MATCHED")
    code, out = _cli(
        monkeypatch,
        capsys,
        five_days,
        "explain",
        "--leg",
        "ledger_bank",
        "--item",
        returned.item_id,
    )
    assert code == 0 and "RETURNED" in out and "Reversed by return" in out
    code, _ = _cli(
        monkeypatch, capsys, five_days, "explain", "--leg", "ledger_bank", "--item", "nope"
    )
    assert code == 2


def test_cli_exceptions_say_why(five_days, monkeypatch, capsys):
    import json

    code, out = _cli(monkeypatch, capsys, five_days, "exceptions", "--format", "csv")
    header, *rows = out.strip().splitlines()
    assert code == 0 and header.endswith(",why") and rows
    code, out = _cli(
        monkeypatch, capsys, five_days, "exceptions", "--format", "json", "--leg", "ledger_partner"
    )
    answers = json.loads(out)
    assert code == 0 and answers and all(set(a) == CONTRACT for a in answers)
    assert {a["leg"] for a in answers} == {"ledger_partner"}


def test_every_gold_table_readable_without_jvm(five_days):
    for table in GOLD:
        assert len(read_table(f"gold.{table}", root=five_days.root)) > 0, table


def test_open_items_are_kept_apart_from_closed_ones(five_days):
    items = read_table("gold.recon_items", root=five_days.root)
    is_open = items.state.isin(["PARTIAL", "PENDING", "EXCEPTION"])
    assert is_open.any() and (~is_open).any()
    assert items[is_open]._closed_as_of.isna().all()
    assert (items[~is_open]._closed_as_of.notna()).all()
    assert (items[~is_open]._closed_as_of >= items[~is_open].business_date).all()


def test_late_bank_line_moves_exception_to_matched(five_days):
    payout = "adyen:batch-1000:MerchantPayout"

    def state(as_of: date | None) -> str:
        items = read_table("gold.recon_items", as_of=as_of, root=five_days.root)
        return str(items[items.item_ref == payout].state.iloc[0])

    assert state(START + timedelta(days=2)) == "EXCEPTION"
    assert state(START + timedelta(days=3)) == "MATCHED"


def test_nacha_return_reverses_the_match_of_the_entry_it_names(five_days):
    items = read_table("gold.recon_items", root=five_days.root)
    matches = read_table("gold.recon_matches", root=five_days.root)
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
        "gold.recon_items", as_of=the_return.business_date - timedelta(days=1), root=five_days.root
    )
    assert before[before.item_id == returned.item_id].state.tolist() == ["MATCHED"]


def test_rerunning_the_last_day_changes_no_business_column(own_copy, spark):
    before = {t: business_snapshot(own_copy.root, t) for t in GOLD}
    run_day(LAST, own_copy.settings, spark)
    after = {t: business_snapshot(own_copy.root, t) for t in GOLD}
    assert before == after


def test_manual_decisions_survive_a_full_backfill(decided: Decided):
    root = decided.run.root
    items = read_table("gold.recon_items", root=root)
    assert items[items.item_id == decided.returned].state.tolist() == ["WRITTEN_OFF"]
    # writing off one member of a MATCHED ACH batch leaves the batch matched
    matches = read_table("gold.recon_matches", root=root)
    batch = matches[
        (matches.status == "MATCHED")
        & matches.left_ids.apply(lambda ids: decided.returned in list(ids))
    ]
    assert len(batch) == 1
    others = [i for i in batch.left_ids.iloc[0] if i != decided.returned]
    assert set(items[items.item_id.isin(others)].state) == {"MATCHED"}
    chosen = items[items.item_id.isin(decided.left + decided.right)]
    assert set(chosen.state) == {"MATCHED"}
    assert chosen.rule.str.startswith("manual:").all()
    assert items[items.item_id == decided.fee].state.tolist() == ["WRITTEN_OFF"]
    exceptions = read_table("gold.recon_exceptions", root=root)
    decided_ids = [*decided.left, *decided.right, decided.fee, decided.returned]
    assert not exceptions.item_id.isin(decided_ids).any()
    decisions = read_table("silver.manual_decisions", root=root)
    assert set(decisions.decided_by) == {"analyst@lender"} and len(decisions) == 5
    outcomes = read_table("gold.decision_outcomes", root=root)
    assert set(outcomes.outcome) == {"APPLIED"} and len(outcomes) == 5
    from lakehouse.explain import explain

    written = explain("ledger_bank", decided.fee, root=root)
    assert written["state"] == "WRITTEN_OFF"
    assert (
        "analyst@lender" in written["summary"] and "bank fee, booked by hand" in written["summary"]
    )
    by_hand = explain("ledger_partner", decided.left[0], root=root)
    assert by_hand["rule"].startswith("manual:") and "short payment accepted" in by_hand["summary"]


def test_the_queue_keeps_work_decisions_through_a_backfill(decided: Decided):
    root, (leg, item_id) = decided.run.root, decided.worked
    queue = read_table("gold.exception_queue", root=root)
    row = queue[(queue.leg == leg) & (queue.item_id == item_id)].iloc[0]
    assert (row.owner, row.status, row.last_note, row.notes) == (
        "ops-anna",
        "ASSIGNED",
        "chasing the partner",
        1,
    )
    resolved = [*decided.left, *decided.right, decided.fee]
    assert not queue[queue.status != "RESOLVED"].item_id.isin(resolved).any()
    # as the books closed the day before the decisions took effect: nobody owned it
    day_before = decided.decided_at.date() - timedelta(days=1)
    before = read_table("gold.exception_queue", as_of=day_before, root=root)
    earlier = before[(before.leg == leg) & (before.item_id == item_id)]
    assert len(earlier) == 1 and earlier.owner.isna().all() and earlier.notes.tolist() == [0]


def _cli(monkeypatch, capsys, run: Run, *argv: str) -> tuple[int, str]:
    code, out, _ = run_cli(monkeypatch, capsys, Path(run.root), *argv)
    return code, out


def test_cli_exceptions_filters_and_csv(five_days, monkeypatch, capsys):
    code, out = _cli(
        monkeypatch,
        capsys,
        five_days,
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


def test_cli_history_and_audit_by_as_of_date(five_days, monkeypatch, capsys):
    # recon_items: every day's run writes it (a day without breaks commits nothing to
    # recon_exceptions, whose history may start later)
    code, out = _cli(monkeypatch, capsys, five_days, "history", "--table", "recon_items", "--json")
    assert code == 0 and '"as_of": "2026-11-02"' in out and '"run_id"' in out
    code, out = _cli(
        monkeypatch,
        capsys,
        five_days,
        "audit",
        "--table",
        "daily_summary",
        "--as-of",
        "2026-11-02",
        "--json",
    )
    assert code == 0 and '"2026-11-03' not in out and "2026-11-02" in out


def test_cli_error_names_the_fix(five_days, monkeypatch, capsys):
    code, _, err = run_cli(
        monkeypatch, capsys, Path(five_days.root), "audit", "--table", "no_such_table"
    )
    line = one_line_error(code, err)
    assert "gold.no_such_table not found" in line
    assert "recon_exceptions" in line and "recon_items" in line  # the tables it does hold


def test_runs_from_the_close_equal_whole_window_runs(decided: Decided, spark, tmp_path):
    """Each day of ``decided`` started from the previous close, decisions included; a
    lakehouse that re-reads the whole window every day over the same feeds and
    decisions must hold exactly the same gold rows."""
    run = decided.run
    whole_window = load_settings(
        env={
            **os.environ,
            "LAKEHOUSE_ROOT": str(tmp_path / "lake"),
            "LAKEHOUSE_LANDING": run.settings.storage.landing,
            "LAKEHOUSE__RECONCILE__FROM_CLOSE": "false",
        }
    )
    assert run.settings.reconcile_from_close and not whole_window.reconcile_from_close
    _run_all_days(whole_window, spark)
    for table in ("recon_items", "recon_matches"):
        assert business_snapshot(whole_window.storage.root, table) == business_snapshot(
            run.root, table
        ), table
    # derived per-day tables: decided's earlier days were re-run after later ones (the
    # backfill), so only the last day is comparable
    for table in ("daily_summary", "aging"):
        last = business_snapshot(run.root, table, as_of_date=LAST)
        assert last, table
        assert last == business_snapshot(whole_window.storage.root, table, as_of_date=LAST), table
    closes = read_table("gold._open_items", root=run.root)
    assert set(closes.as_of.map(str)) >= {str(LAST)}
