"""bench.month and bench.delta_log: the month's ratios, the Delta logs and checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import delta_log
from bench.month import month_summary
from tests.bench.builders import day


def test_last_over_first_per_layer_and_end_to_end() -> None:
    days = [day(f"2026-11-{i:02d}", 10.0, 20.0, 30.0 + i) for i in range(1, 31)]
    out = month_summary(days)
    assert out["last_over_first"]["ingest"] == 1.0
    assert out["last_over_first"]["reconcile"] == pytest.approx(60 / 31, abs=1e-3)
    assert out["last_over_first"]["total"] == pytest.approx(90 / 61, abs=1e-3)
    assert out["last3_over_first3"]["reconcile"] == pytest.approx(59 / 32, abs=1e-3)
    assert out["window_days"] == 3
    assert out["targets"] == {"last_over_first_max": 1.2, "within": False}


def test_one_noisy_day_does_not_decide_the_target() -> None:
    days = [day(f"d{i}", 10.0, 20.0, 30.0) for i in range(6)]
    days[-1] = day("d5", 10.0, 20.0, 60.0)  # the machine was busy on the last day
    out = month_summary(days)
    assert out["last_over_first"]["total"] == 1.5
    assert out["last3_over_first3"]["total"] == pytest.approx(210 / 180, abs=1e-3)
    assert out["targets"]["within"] is True


def test_a_single_day_gives_no_ratio() -> None:
    out = month_summary([day("d1", 1.0, 1.0, 1.0)])
    assert out["last_over_first"]["total"] is None and out["targets"]["within"] is None
    assert month_summary([day(f"d{i}", 1.0, 1.0, 1.0) for i in range(5)])["window_days"] == 2


def _log(table: Path, commits: int, checkpoints: list[int], interval: int | None = None) -> None:
    log = table / "_delta_log"
    (log / "_staged_commits").mkdir(parents=True)
    config = {} if interval is None else {"delta.checkpointInterval": str(interval)}
    metadata = {
        "id": "0",
        "format": {"provider": "parquet", "options": {}},
        "schemaString": json.dumps({"type": "struct", "fields": []}),
        "partitionColumns": [],
        "configuration": config,
    }
    for version in range(commits):
        actions = [{"commitInfo": {}}]
        if version == 0:
            actions = [
                {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
                {"metaData": metadata},
            ]
        text = "\n".join(json.dumps(a) for a in actions) + "\n"
        (log / f"{version:020d}.json").write_text(text)
        (log / f"{version:020d}.crc").write_text("{}")
    for version in checkpoints:
        (log / f"{version:020d}.checkpoint.parquet").write_bytes(b"x" * 100)
    (log / f"{checkpoints[-1]:020d}.checkpoint.0000000001.0000000002.parquet").write_bytes(b"")


def test_log_sizes_checkpoints_and_cadence(tmp_path: Path) -> None:
    _log(tmp_path / "gold" / "recon_items", 25, [10, 20])
    _log(tmp_path / "silver" / "ledger_entries", 12, [5, 10], interval=5)
    (tmp_path / "silver" / "not_a_table").mkdir(parents=True)
    logs = delta_log.lakehouse_logs(tmp_path)
    assert sorted(logs) == ["gold.recon_items", "silver.ledger_entries"]
    items = logs["gold.recon_items"]
    assert items["commits"] == 25 and items["last_version"] == 24
    assert items["files"] == 25 * 2 + 2 + 1
    assert items["checkpoint_versions"] == [10, 20] and items["checkpoint_cadence"] == [10, 10]
    assert items["checkpoint_bytes"] == 200
    assert items["bytes"] == sum(
        p.stat().st_size for p in (tmp_path / "gold").rglob("*") if p.is_file()
    )
    assert (items["checkpoint_interval"], items["checkpoint_interval_source"]) == (
        10,
        "Delta default",
    )
    ledger = logs["silver.ledger_entries"]
    assert (ledger["checkpoint_interval"], ledger["checkpoint_interval_source"]) == (
        5,
        "table property",
    )
    assert ledger["checkpoint_cadence"] == [5, 5]
    totals = delta_log.totals(logs)
    assert totals["checkpoints"] == 4 and totals["files"] == items["files"] + ledger["files"]


def test_cadence_counts_from_version_zero() -> None:
    assert delta_log.cadence([]) == []
    assert delta_log.cadence([10, 20, 25]) == [10, 10, 5]
    assert delta_log.cadence([0, 10]) == [10]
