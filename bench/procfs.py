"""Memory and CPU of a process tree (Python and the Spark JVM), sampled from ``/proc``."""

from __future__ import annotations

import os
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SAMPLE_SECONDS = 0.5
MIB = 1024 * 1024
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (state is index 0)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None  # the process ended meanwhile
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses
    return stat[stat.rfind(")") + 2 :].split()


def _parent_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _statm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return fh.read()
    except OSError:
        return ""


def _rss_bytes(pid: int) -> int:
    try:
        return int(_statm(pid).split()[1]) * _PAGE_SIZE
    except (IndexError, ValueError):
        return 0


def _cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / _CLOCK_TICKS  # utime stime cutime cstime


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return "?"


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (e.g. the Spark JVM and its Python workers).

    A child whose memory counters equal its parent's shares the parent's address space:
    the JVM starts processes with vfork/posix_spawn, and until the exec the child shows
    the whole JVM as its RSS. Such a child is left out, or the JVM would count twice.
    """
    children = _parent_map()
    tree, seen = [], set()
    stack: list[tuple[int, str]] = [(pid, "")]
    while stack:
        current, parent_statm = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        statm = _statm(current)
        if parent_statm and statm == parent_statm:
            continue
        tree.append(current)
        stack.extend((child, statm) for child in children.get(current, ()))
    return tree


def process_tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants."""
    return sum(_rss_bytes(p) for p in process_tree(pid))


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the tree, reaped children included."""
    return sum(_cpu_seconds(p) for p in process_tree(pid))


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot, all cores (``/proc/stat``)."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(f) for f in fh.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS


def named_cpu_seconds(name: str) -> float:
    """CPU seconds used so far by every process named ``name`` (e.g. ``minio``)."""
    pids = (int(e) for e in os.listdir("/proc") if e.isdigit())
    return sum(_cpu_seconds(p) for p in pids if _name(p) == name)


@dataclass(frozen=True)
class Window:
    """CPU seconds used and the peak RSS of the tree between two instants."""

    cpu_seconds: float
    peak_rss_mb: float


class RssSampler:
    """A background thread sampling the process tree's RSS and CPU every ``interval``.

    Keeps the overall peak; per named phase, the peak with its split by process name
    (python, java, ...) and the CPU seconds the tree used; and the time series of
    (instant, CPU seconds, RSS), so any interval (a layer of a day) can be measured
    after the fact with :meth:`window`.
    """

    def __init__(self, pid: int | None = None, interval: float = SAMPLE_SECONDS) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak = 0
        self.phases: dict[str, int] = {}
        self.breakdown: dict[str, dict[str, float]] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.samples: list[tuple[float, float, int]] = []  # perf_counter, CPU s, RSS bytes
        self._phase: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def sample(self) -> None:
        by_name: dict[str, int] = {}
        cpu = 0.0
        for p in process_tree(self.pid):
            by_name[_name(p)] = by_name.get(_name(p), 0) + _rss_bytes(p)
            cpu += _cpu_seconds(p)
        rss = sum(by_name.values())
        with self._lock:
            self.samples.append((time.perf_counter(), cpu, rss))
            self.peak = max(self.peak, rss)
            phase = self._phase
            if phase is not None and rss > self.phases.get(phase, -1):
                self.phases[phase] = rss
                self.breakdown[phase] = {k: round(v / MIB, 1) for k, v in by_name.items()}

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Attribute samples taken inside the block to ``name`` (sampled at both ends)."""
        with self._lock:
            self._phase = name
        self.sample()
        cpu = self.samples[-1][1]
        try:
            yield
        finally:
            self.sample()
            self.cpu_seconds[name] = round(self.samples[-1][1] - cpu, 1)
            with self._lock:
                self._phase = None

    def peak_mb(self, phase: str | None = None) -> float:
        value = self.peak if phase is None else self.phases.get(phase, 0)
        return round(value / MIB, 1)

    def window(self, begin: float, end: float) -> Window:
        """CPU used and peak RSS between two ``time.perf_counter()`` instants."""
        with self._lock:
            samples = list(self.samples)
        return measure_window(samples, begin, end)


def measure_window(samples: list[tuple[float, float, int]], begin: float, end: float) -> Window:
    """CPU (linearly interpolated at both ends) and peak RSS of ``samples`` in an interval.

    ``samples`` are (instant, cumulative CPU seconds, RSS bytes) in time order. With no
    sample inside the interval, the RSS is the one of the nearest sample before it.
    """
    if not samples:
        return Window(0.0, 0.0)
    times = [s[0] for s in samples]

    def cpu_at(t: float) -> float:
        i = bisect_left(times, t)
        if i == 0:
            return samples[0][1]
        if i == len(samples):
            return samples[-1][1]
        (t0, c0, _), (t1, c1, _) = samples[i - 1], samples[i]
        return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c1

    inside = [s[2] for s in samples if begin <= s[0] <= end]
    if not inside:
        before = max(bisect_left(times, begin) - 1, 0)
        inside = [samples[before][2]]
    return Window(round(cpu_at(end) - cpu_at(begin), 2), round(max(inside) / MIB, 1))
