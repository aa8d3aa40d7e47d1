"""Running the CLI in its own process group, and killing it at a fault point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 2400


@dataclass(frozen=True)
class Finished:
    code: int
    stdout: str
    stderr: str
    group_gone: bool  # no process of its group (driver JVM, Python workers) survived


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(env: dict[str, str], *argv: str) -> subprocess.Popen[str]:
    """``python -m lakehouse.cli ARGV`` leading its own process group."""
    return subprocess.Popen(
        [sys.executable, "-m", "lakehouse.cli", *argv],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = TIMEOUT_S) -> Finished:
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"lakehouse did not finish in {timeout}s:\n{stderr[-3000:]}") from None
    deadline = time.monotonic() + 30
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)  # the kernel reaps the JVM and workers of a killed group
    gone = not _group_alive(process.pid)
    if not gone:
        os.killpg(process.pid, signal.SIGKILL)
    return Finished(process.returncode, stdout, stderr, gone)


def run(env: dict[str, str], *argv: str, timeout: float = TIMEOUT_S) -> Finished:
    return finish(start(env, *argv), timeout)
