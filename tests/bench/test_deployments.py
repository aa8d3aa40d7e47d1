"""bench.deployments: which deployments a run measures, and each day's machine cost."""

from __future__ import annotations

import argparse

import pytest

from bench import deployments
from bench.deployments import DEPLOYMENTS, DayCost, _Meter, _names


def test_only_names_deployments_in_their_order() -> None:
    assert _names("cluster") == ["cluster"]
    assert _names(" cluster, local ") == ["local", "cluster"]
    assert _names(",".join(DEPLOYMENTS)) == list(DEPLOYMENTS)
    with pytest.raises(argparse.ArgumentTypeError, match="yarn is not a deployment"):
        _names("local,yarn")
    with pytest.raises(argparse.ArgumentTypeError, match="name some of local,s3,cluster"):
        _names(" , ")


def test_each_day_gets_the_cpu_and_memory_since_the_day_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    machine = {"cpu": 100.0, "minio": 10.0, "memory": 1000.0}
    monkeypatch.setattr(deployments, "machine_cpu_seconds", lambda: machine["cpu"])
    monkeypatch.setattr(deployments, "named_cpu_seconds", lambda name: machine[name])
    monkeypatch.setattr(deployments, "machine_memory_used_mb", lambda: machine["memory"])
    meter = _Meter()
    try:
        machine.update(cpu=150.0, minio=15.0, memory=4000.0)
        meter.peak = 5000.0  # what the sampling thread saw during the day
        first = meter.day("2026-11-02", 1.5)
        machine.update(cpu=170.0, minio=16.0, memory=1200.0)
        second = meter.day("2026-11-03", 0.5)
    finally:
        meter.stop()
    # the machine's CPU less MinIO's; the peak above what was in use at the start
    assert first == DayCost("2026-11-02", 1.5, 45.0, 4000)
    # the second day's peak starts from the end of the first, not from the first's peak
    assert second == DayCost("2026-11-03", 0.5, 19.0, 3000)


def test_the_machine_counters_move() -> None:
    meter = _Meter()
    try:
        sum(i * i for i in range(3_000_000))
        assert meter.day("2026-11-02", 1.0).cpu_seconds > 0
    finally:
        meter.stop()
