"""The fault-injection hooks: inert unless asked, and a kill -9 of the whole group."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse import faults

REPO = Path(__file__).resolve().parents[1]


def _run(code: str, fault: str | None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    if fault:
        env[faults.ENV] = fault
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )


TWO_POINTS = """
from lakehouse.faults import fault_point
fault_point("a"); print("after a", flush=True)
fault_point("a"); print("after a again", flush=True)
fault_point("b"); print("after b", flush=True)
"""


def test_a_point_does_nothing_unless_named(monkeypatch):
    monkeypatch.delenv(faults.ENV, raising=False)
    faults.fault_point("anything")  # the test process survives
    monkeypatch.setenv(faults.ENV, "something.else")
    faults.fault_point("anything")


def test_the_named_point_kills_the_process_group(tmp_path):
    done = _run(TWO_POINTS, "b", tmp_path)
    assert done.returncode == -9
    assert done.stdout.splitlines() == ["after a", "after a again"]
    assert "fault injected at b" in done.stderr


def test_the_nth_time_a_point_is_reached(tmp_path):
    done = _run(TWO_POINTS, "a#2", tmp_path)
    assert (done.returncode, done.stdout.splitlines()) == (-9, ["after a"])


def test_a_write_is_killed_once_its_first_data_file_is_on_disk(tmp_path):
    code = """
import time
from pathlib import Path
from lakehouse.faults import fault_during_write
table = Path("table"); (table / "_delta_log").mkdir(parents=True)
(table / "_delta_log" / "0.json").write_text("{}")  # the log is not a data file
fault_during_write("gold.t", str(table))
time.sleep(0.5); print("nothing written yet", flush=True)
(table / "part-0.parquet").write_bytes(b"x")
time.sleep(5); print("committed", flush=True)
"""
    done = _run(code, "write:gold.t", tmp_path)
    assert (done.returncode, done.stdout.splitlines()) == (-9, ["nothing written yet"])


def test_a_process_that_does_not_lead_its_group_is_not_killed(monkeypatch):
    monkeypatch.setenv(faults.ENV, "here")
    with pytest.raises(RuntimeError, match="must lead its process group"):
        faults.fault_point("here")
