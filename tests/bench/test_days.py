"""bench.days: a day's layers placed in time after its setup, and its progress profile."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from bench import days
from bench.days import DayRun, layer_bounds


def _day(setup: float) -> DayRun:
    seconds = {"ingest": 10.0, "refine": 5.0, "reconcile": 20.0, "total": 35.0}
    timeline = [
        (2.0, "lease taken"),
        (setup + 4.0, "ingested ledger"),
        (setup + 12.0, "silver.ledger_entries merged"),
        (setup + 30.0, "gold.recon_items merged"),
    ]
    return DayRun(
        date(2026, 11, 2), seconds, 1.0, 10, {}, {}, timeline, 0.5,
        started_at=1000.0, setup_seconds=setup,
    )  # fmt: skip


def test_layers_follow_the_setup() -> None:
    seconds = {"ingest": 10.0, "refine": 5.0, "reconcile": 20.0}
    assert layer_bounds(seconds) == {
        "ingest": (0.0, 10.0),
        "refine": (10.0, 15.0),
        "reconcile": (15.0, 35.0),
    }
    assert layer_bounds(seconds, 3.0)["reconcile"] == (18.0, 38.0)
    intervals = _day(3.0).intervals()
    assert [(i.layer, i.begin_ms, i.end_ms) for i in intervals] == [
        ("ingest", 1_003_000.0, 1_013_000.0),
        ("refine", 1_013_000.0, 1_018_000.0),
        ("reconcile", 1_018_000.0, 1_038_000.0),
    ]


def test_each_message_is_charged_to_the_layer_it_ended_in() -> None:
    steps = {s["step"]: (s["layer"], s["seconds"]) for s in _day(3.0).segments()}
    assert steps["lease taken"] == ("setup", 2.0)
    assert steps["ingested ledger"] == ("ingest", 4.0)  # from the start of ingest
    assert steps["silver.ledger_entries merged"] == ("refine", 2.0)
    assert steps["gold.recon_items merged"] == ("reconcile", 15.0)
    assert steps["reconcile: after its last progress message"] == ("reconcile", 5.0)
    assert steps["ingest: after its last progress message"] == ("ingest", 6.0)
    assert _day(3.0).summary()["setup_seconds"] == 3.0


def test_only_source_changes_make_the_tree_dirty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.email=b@e", "-c", "user.name=b", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    (tmp_path / "bench" / "results").mkdir(parents=True)
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "bench" / "results" / "month.json").write_text("{}\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    monkeypatch.setattr(days, "REPO_ROOT", tmp_path)
    assert days.source_commit()["dirty"] is False
    # a result written by an earlier run of the same chain
    (tmp_path / "bench" / "results" / "month.json").write_text('{"days": 30}\n')
    assert days.source_commit()["dirty"] is False
    (tmp_path / "code.py").write_text("x = 2\n")
    assert days.source_commit() == {"commit": days.source_commit()["commit"], "dirty": True}
    assert len(days.source_commit()["commit"]) == 40
