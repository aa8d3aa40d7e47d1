"""``lakehouse queue`` and the decision commands over a tiny lakehouse (no JVM)."""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path

import pytest

from tests.cli.running import run_cli
from tests.workbench.conftest import build


@pytest.fixture
def lake(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("LAKEHOUSE_LANDING", str(tmp_path / "land"))
    build(tmp_path / "lake")
    return tmp_path


@pytest.fixture
def run(lake, monkeypatch, capsys):
    """``run(*argv)`` -> (exit status, stdout, stderr) of ``lakehouse ARGV`` on ``lake``."""
    return functools.partial(run_cli, monkeypatch, capsys, lake / "lake")


def _landed(lake: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted((lake / "land" / "manual_decisions").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_json_has_exact_money_iso_dates_and_filters(lake, run):
    code, out, _ = run("queue", "--format", "json", "--leg", "ledger_bank")
    assert code == 0
    document = json.loads(out)
    assert document["as_of"] == "2026-11-04"
    rows = {r["item_id"]: r for r in document["rows"]}
    assert set(rows) == {"LE-BIG", "LE-SMALL", "BK-1"}
    big = rows["LE-BIG"]
    assert big["amount"] == "-150000.00" and big["business_date"] == "2026-11-02"
    assert big["due_at"] == "2026-11-05T00:00:00+00:00" and big["breached"] is True
    assert document["totals"]["amounts"] == {"EUR": "150024.34"}
    assert list(rows) == ["LE-BIG", "BK-1", "LE-SMALL"]  # breached first, then due, item


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--owner", "bob"], ["LE-BIG"]),
        (["--severity", "critical"], ["LE-BIG"]),
        (["--breached"], ["LE-BIG"]),
        (["--owner", "(unassigned)", "--leg", "ledger_partner"], ["LE-P"]),
        (["--as-of", "2026-11-03"], ["LE-BIG", "LE-SMALL"]),
    ],
)
def test_csv_filters(lake, run, argv, expected):
    code, out, _ = run("queue", "--format", "csv", *argv)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["item_id"] for r in rows) == sorted(expected)


def test_assign_many_items_in_one_file(lake, run):
    code, out, _ = run(
        "assign", "--leg", "ledger_bank", "--item", "LE-SMALL", "BK-1", "--owner", "eve"
    )
    assert code == 0 and "recorded 2 decision(s)" in out
    assert "lakehouse run --date 2026-11-05" in out
    assert [(d["action"], d["item_id"], d["owner"]) for d in _landed(lake)] == [
        ("assign", "LE-SMALL", "eve"),
        ("assign", "BK-1", "eve"),
    ]
    assert len(list((lake / "land" / "manual_decisions").glob("*.jsonl"))) == 1


def test_adjust_and_comment_and_status(lake, run):
    argv = ["--leg", "ledger_bank", "--item", "LE-SMALL"]
    assert run("adjust", *argv, "--amount", "-0.34", "--reason", "fee")[0] == 0
    assert run("comment", *argv, "--text", "asked the bank")[0] == 0
    assert run("status", *argv, "--status", "PENDING_RESOLUTION")[0] == 0
    landed = {d["action"]: d for d in _landed(lake)}
    assert landed["adjust"]["amount"] == "-0.34"
    assert landed["comment"]["reason"] == "asked the bank"
    assert landed["status"]["status"] == "PENDING_RESOLUTION"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["write-off", "--leg", "ledger_bank", "--item", "GHOST", "--reason", "x"],
            "error: write-off: GHOST is not an item of leg ledger_bank in gold.recon_items "
            "(2026-11-04); check the ids with `lakehouse queue`, or pass --force",
        ),
        (
            ["adjust", "--leg", "ledger_bank", "--item", "LE-SMALL", "--amount", "1.2.3"],
            "error: --amount '1.2.3' is not an amount",
        ),
        (
            ["match", "--leg", "ledger_bank", "--left", "BK-1", "--right", "LE-SMALL"],
            "error: match: BK-1 is a right item of ledger_bank; give it as --right",
        ),
    ],
)
def test_bad_decisions_are_one_line_and_exit_2(lake, run, argv, message):
    if argv[0] in ("adjust", "match"):
        argv = [*argv, "--reason", "x"]
    code, _out, err = run(*argv)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (lake / "land" / "manual_decisions").exists()


def test_force_records_an_item_not_arrived(lake, run):
    argv = ["write-off", "--leg", "ledger_bank", "--item", "LE-LATE", "--reason", "x", "--force"]
    assert run(*argv)[0] == 0
    assert [d["item_id"] for d in _landed(lake)] == ["LE-LATE"]
