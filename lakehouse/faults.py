"""Fault injection for the fault suite (``tests/faults/``); inert unless a test sets it.

``LAKEHOUSE_FAULT_AT=<point>`` makes the process ``kill -9`` its whole process group
(the Python driver, Spark's JVM and its Python workers) when the run reaches that
point, as a crashed machine would. ``<point>#<n>`` fires the n-th time instead of the
first. Points are named in the code where they stand (``fault_point("...")``, one
line each); ``write:<layer>.<table>`` fires in the middle of a write to that table:
once its first new data file is on disk and before the write commits.

The process must lead its process group (``subprocess.Popen(...,
start_new_session=True)``), so that the kill takes its whole tree and nothing else.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

ENV = "LAKEHOUSE_FAULT_AT"
_counts: dict[str, int] = {}
_lock = threading.Lock()


def _armed(point: str) -> bool:
    wanted = os.environ.get(ENV)
    if not wanted:
        return False
    name, _, nth = wanted.partition("#")
    if name != point:
        return False
    with _lock:
        _counts[point] = _counts.get(point, 0) + 1
        return _counts[point] == (int(nth) if nth else 1)


def crash(point: str) -> None:
    """``kill -9`` of this process's whole group, now."""
    if os.getpgrp() != os.getpid():
        raise RuntimeError(
            f"fault point {point}: the process must lead its process group to be killed "
            "with its JVM (start it with start_new_session=True)"
        )
    os.write(2, f"fault injected at {point}: kill -9 of process group {os.getpid()}\n".encode())
    os.killpg(os.getpgrp(), signal.SIGKILL)


def fault_point(point: str) -> None:
    """Crash here when the fault suite asks for ``point``."""
    if _armed(point):
        crash(point)


def _files(root: Path) -> set[str]:
    found: set[str] = set()
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != "_delta_log"]
        found.update(os.path.join(folder, n) for n in names if not n.startswith((".", "_")))
    return found


def fault_during_write(table: str, path: str) -> None:
    """Crash in the middle of the coming write to ``table`` (stored at ``path``, a local
    folder): as soon as a new data file appears there, before the commit."""
    point = f"write:{table}"
    if not _armed(point):
        return
    root = Path(path.removeprefix("file://"))
    before = _files(root) if root.exists() else set()

    def watch() -> None:
        while True:
            if root.exists() and _files(root) - before:
                crash(point)
            time.sleep(0.001)

    threading.Thread(target=watch, name=f"fault-{point}", daemon=True).start()
