"""bench.deployments: which deployments a run measures, and each day's cost."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from bench import deployments
from bench.deployments import DEPLOYMENTS, DayCost, _backfill, _cluster_pids, _Meter, _names
from bench.procfs import MIB


def test_only_names_deployments_in_their_order() -> None:
    assert _names("cluster") == ["cluster"]
    assert _names(" cluster, local ") == ["local", "cluster"]
    assert _names(",".join(DEPLOYMENTS)) == list(DEPLOYMENTS)
    with pytest.raises(argparse.ArgumentTypeError, match=r"^yarn is not a deployment; name some"):
        _names("local,yarn")
    with pytest.raises(argparse.ArgumentTypeError, match=r"^yarn, k8s are not deployments"):
        _names("yarn,k8s")
    with pytest.raises(argparse.ArgumentTypeError, match="names no deployment"):
        _names(" , ")


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """The machine's counters, as the test sets them: CPU, MinIO's CPU, RSS in MB per pid."""
    state = {"cpu": 100.0, "minio": 10.0, "rss": 1000.0}
    monkeypatch.setattr(deployments, "machine_cpu_seconds", lambda: state["cpu"])
    monkeypatch.setattr(deployments, "named_cpu_seconds", lambda name: state[name])
    monkeypatch.setattr(deployments, "process_tree_rss", lambda pid: state["rss"] * MIB)
    return state


def test_each_day_gets_its_own_cpu_and_peak(machine: dict[str, float]) -> None:
    meter = _Meter(lambda: [1, 2], interval=3600)  # the test samples by hand
    try:
        machine.update(cpu=150.0, minio=15.0, rss=3000.0)
        meter.sample()
        machine.update(rss=1500.0)
        first = meter.day("2026-11-02", 1.5)
        machine.update(cpu=170.0, minio=16.0, rss=1200.0)
        second = meter.day("2026-11-03", 0.5)
    finally:
        meter.stop()
    # the machine's CPU less MinIO's; the peak of two roots' trees at 3000 MB each
    assert first == DayCost("2026-11-02", 1.5, 45.0, 6000)
    # the second day's peak is its own, not the first day's
    assert second == DayCost("2026-11-03", 0.5, 19.0, 2400)


def test_the_meter_samples_while_the_day_runs(
    machine: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = [1000.0, 9000.0]  # then 500 MB for good
    monkeypatch.setattr(
        deployments, "process_tree_rss", lambda pid: (sizes.pop(0) if sizes else 500.0) * MIB
    )
    meter = _Meter(lambda: [1], interval=0.01)
    try:
        deadline = time.monotonic() + 10
        while sizes and time.monotonic() < deadline:
            time.sleep(0.01)  # until the thread has seen 1000 and 9000 MB
        cost = meter.day("2026-11-02", 1.0)  # samples 500 MB itself
    finally:
        meter.stop()
    assert not sizes and cost.peak_memory_mb == 9000


def test_the_machine_counters_move() -> None:
    meter = _Meter(lambda: [os.getpid()])
    try:
        sum(i * i for i in range(3_000_000))
        cost = meter.day("2026-11-02", 1.0)
    finally:
        meter.stop()
    assert cost.cpu_seconds > 0 and cost.peak_memory_mb > 0


def test_cluster_pids_are_read_from_the_scripts_pid_files(tmp_path: Path) -> None:
    (tmp_path / "master.pid").write_text("101\n")
    (tmp_path / "worker-0.pid").write_text("102")
    (tmp_path / "worker-1.pid").write_text("")  # being written or cleared
    (tmp_path / "worker-0.log").write_text("not a pid")
    assert sorted(_cluster_pids(tmp_path)) == [101, 102]
    assert _cluster_pids(tmp_path / "absent") == []


def _fake_cli(tmp_path: Path, lines: list[str], code: int) -> list[str]:
    script = tmp_path / "cli.py"
    script.write_text(
        "import sys\n"
        f"for line in {lines!r}:\n"
        "    print(line, file=sys.stderr, flush=True)\n"
        f"sys.exit({code})\n"
    )
    return [sys.executable, str(script)]


def test_a_backfill_yields_a_cost_per_day_done_and_keeps_its_log(tmp_path: Path) -> None:
    lines = ["ingesting", "2026-11-02 done in 12.5s", "2026-11-03 done in 7.0s", "bye"]
    env = {**os.environ, "SPARK_CLUSTER_DIR": str(tmp_path / "cluster")}
    log = tmp_path / "cluster.log"
    days = _backfill(
        "cluster", env, date(2026, 11, 2), date(2026, 11, 3), log, cli=_fake_cli(tmp_path, lines, 0)
    )
    assert [(d.day, d.seconds) for d in days] == [("2026-11-02", 12.5), ("2026-11-03", 7.0)]
    assert log.read_text().splitlines() == lines


def test_a_failed_backfill_names_itself_and_its_log(tmp_path: Path) -> None:
    log = tmp_path / "local.log"
    with pytest.raises(SystemExit, match=r"local: lakehouse backfill failed \(exit 3\), see "):
        _backfill(
            "local",
            dict(os.environ),
            date(2026, 11, 2),
            date(2026, 11, 2),
            log,
            cli=_fake_cli(tmp_path, ["boom"], 3),
        )
    assert log.read_text() == "boom\n"
