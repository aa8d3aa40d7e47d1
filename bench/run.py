"""``python -m bench.run`` (``make bench``): the daily pipeline at volume, and a baseline.

Parameters come from the environment:

* ``BENCH_VOLUME``  ledger events per day (default 1,000,000)
* ``BENCH_DAYS``    business days measured (default 3)
* ``BENCH_WARMUP_DAYS``  days run before them, reported apart (default 1)
* ``BENCH_DRIVER_MEMORY``  Spark driver heap for the run (default 8g; the machine has
  24 GiB and a 4 GiB heap evicts the reconcile window at 1M events a day)
* ``BENCH_SEED``    generator seed (default 42)
* ``BENCH_START``   first business day, ISO (default 2026-11-02)
* ``BENCH_DIR``     working folder (default ``data/bench``): the feeds go to
  ``<BENCH_DIR>/landing``, the lakehouse to ``<BENCH_DIR>/lakehouse``, the generator's
  truth to ``<BENCH_DIR>/truth``; those three are deleted first
* ``BENCH_OUT``     the JSON written (default ``bench/results/latest.json``)
* ``BENCH_REUSE_FEEDS``  ``1`` keeps the feeds and truth of an earlier run when they
  were generated with the same volume, days, seed and start (recorded in
  ``<BENCH_DIR>/landing/.bench_feeds.json``); only the lakehouse is deleted. For
  profiling loops: generation takes minutes and is not part of the benchmark

Steady state: a day's feeds carry the partner settlements and bank lines of earlier
days (settlement lags), so the first generated day is lighter than any later one,
and the generator's last day is heavier (every lag that would fall after it is
delivered on it). The benchmark therefore generates ``warm-up + days + 1`` days, runs
the warm-up days first (reported as ``warmup``), measures the next ``days`` days, and
never runs the last generated day: every measured day receives the same kind of
inflow, so ``last_over_first_day`` measures the growth of history alone.

Steps: generate the feeds (in a child process, timed but not part of the benchmark);
run ``lakehouse.pipeline.run_day`` for every day in one SparkSession, timing each layer
(ingest, refine, reconcile) and the whole day, with the peak RSS of the process tree
(this process plus the Spark JVM) sampled from ``/proc`` every 0.5 s; then the
single-process baseline (``bench.duckdb_baseline``): the same rules over the same
silver rows of the last day in DuckDB, its result compared with gold. The ratio
``duckdb_ratio_matching`` is the Spark reconcile step of the last day over the DuckDB
reconcile (window + matching + item states; reading Delta into Arrow is reported
apart). Progress messages of the pipeline are timestamped into ``profile`` so the
time inside each layer can be attributed (which file, which table, which MERGE).

This is a benchmark, not a test: the targets are reported, never asserted.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lakehouse.config import REPO_ROOT, Settings, load_settings

DEFAULT_VOLUME = 1_000_000
DEFAULT_DAYS = 3
DEFAULT_WARMUP_DAYS = 1
DEFAULT_DRIVER_MEMORY = "8g"
DEFAULT_SEED = 42
DEFAULT_START = date(2026, 11, 2)
DEFAULT_DIR = "data/bench"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "latest.json"
SAMPLE_SECONDS = 0.5
# Targets of the issue on a 2-core, 24 GiB machine (reported, not asserted).
TARGET_DAY_SECONDS = 240.0
TARGET_LAST_OVER_FIRST = 1.25
TARGET_DUCKDB_RATIO = 10.0
LAYERS = ("ingest", "refine", "reconcile")
MIB = 1024 * 1024


@dataclass(frozen=True)
class BenchConfig:
    """What to run, from the ``BENCH_*`` environment variables."""

    volume: int
    days: int
    seed: int
    start: date
    bench_dir: Path
    out: Path
    warmup_days: int = DEFAULT_WARMUP_DAYS
    driver_memory: str = DEFAULT_DRIVER_MEMORY
    reuse_feeds: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BenchConfig:
        def integer(name: str, default: int, minimum: int = 1) -> int:
            raw = env.get(name, "").replace("_", "").replace(",", "").strip()
            try:
                value = int(raw) if raw else default
            except ValueError:
                raise SystemExit(f"{name} must be an integer, got {env[name]!r}") from None
            if value < minimum:
                raise SystemExit(f"{name} must be >= {minimum}, got {value}")
            return value

        bench_dir = Path(env.get("BENCH_DIR") or DEFAULT_DIR)
        out = Path(env.get("BENCH_OUT") or DEFAULT_OUT)
        return cls(
            volume=integer("BENCH_VOLUME", DEFAULT_VOLUME),
            days=integer("BENCH_DAYS", DEFAULT_DAYS),
            seed=integer("BENCH_SEED", DEFAULT_SEED),
            start=date.fromisoformat(env["BENCH_START"])
            if env.get("BENCH_START")
            else DEFAULT_START,
            bench_dir=bench_dir if bench_dir.is_absolute() else REPO_ROOT / bench_dir,
            out=out if out.is_absolute() else REPO_ROOT / out,
            warmup_days=integer("BENCH_WARMUP_DAYS", DEFAULT_WARMUP_DAYS, minimum=0),
            driver_memory=env.get("BENCH_DRIVER_MEMORY") or DEFAULT_DRIVER_MEMORY,
            reuse_feeds=env.get("BENCH_REUSE_FEEDS", "").strip().lower() in ("1", "true", "yes"),
        )

    @property
    def landing(self) -> Path:
        return self.bench_dir / "landing"

    @property
    def root(self) -> Path:
        return self.bench_dir / "lakehouse"

    @property
    def dates(self) -> list[date]:
        """The measured days."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def warmup_dates(self) -> list[date]:
        return [self.start - timedelta(days=i) for i in range(self.warmup_days, 0, -1)]

    @property
    def generated_start(self) -> date:
        return self.start - timedelta(days=self.warmup_days)

    @property
    def generated_days(self) -> int:
        """Warm-up, measured, and one more day that absorbs the late deliveries."""
        return self.warmup_days + self.days + 1


# ---- memory and CPU of the process tree, from /proc ----------------------------------

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
    ticks = 0
    for p in process_tree(pid):
        fields = _stat_fields(p)
        if fields is not None:
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / _CLOCK_TICKS


class RssSampler:
    """A background thread sampling the process tree's RSS from /proc every ``interval``.

    Keeps the overall peak and, per named phase, the peak with its split by process
    name (python, java, ...) and the CPU seconds the tree used during the phase.
    """

    def __init__(self, pid: int | None = None, interval: float = SAMPLE_SECONDS) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak = 0
        self.phases: dict[str, int] = {}
        self.breakdown: dict[str, dict[str, float]] = {}
        self.cpu_seconds: dict[str, float] = {}
        self._phase: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def _sample(self) -> None:
        by_name: dict[str, int] = {}
        for p in process_tree(self.pid):
            by_name[_name(p)] = by_name.get(_name(p), 0) + _rss_bytes(p)
        rss = sum(by_name.values())
        with self._lock:
            self.peak = max(self.peak, rss)
            phase = self._phase
            if phase is not None and rss > self.phases.get(phase, -1):
                self.phases[phase] = rss
                self.breakdown[phase] = {k: round(v / MIB, 1) for k, v in by_name.items()}

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

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
        self._sample()
        cpu = process_tree_cpu(self.pid)
        try:
            yield
        finally:
            self.cpu_seconds[name] = round(process_tree_cpu(self.pid) - cpu, 1)
            self._sample()
            with self._lock:
                self._phase = None

    def peak_mb(self, phase: str | None = None) -> float:
        value = self.peak if phase is None else self.phases.get(phase, 0)
        return round(value / MIB, 1)


# ---- steps ----------------------------------------------------------------------------


def feeds_stamp(cfg: BenchConfig) -> dict[str, Any]:
    """What the generated feeds depend on."""
    return {
        "volume": cfg.volume,
        "days": cfg.generated_days,
        "seed": cfg.seed,
        "start": cfg.generated_start.isoformat(),
    }


def _stamp_path(cfg: BenchConfig) -> Path:
    return cfg.landing / ".bench_feeds.json"


def reusable_feeds(cfg: BenchConfig) -> bool:
    """True when ``BENCH_REUSE_FEEDS`` is set and the feeds there were made the same way."""
    if not cfg.reuse_feeds or not _stamp_path(cfg).is_file():
        return False
    try:
        return bool(json.loads(_stamp_path(cfg).read_text()) == feeds_stamp(cfg))
    except ValueError:
        return False


def generate_feeds(cfg: BenchConfig) -> float | None:
    """Start from an empty lakehouse and write the feeds (``lakehouse generate``).

    Returns the seconds it took, or None when the feeds were reused.

    Runs in a child process so the generator's memory does not count as the pipeline's.
    """
    if reusable_feeds(cfg):
        if cfg.root.exists():
            shutil.rmtree(cfg.root)
        return None
    for folder in (cfg.landing, cfg.root, cfg.bench_dir / "truth"):  # only what we write
        if folder.exists():
            shutil.rmtree(folder)
    cfg.landing.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "lakehouse.cli",
        "generate",
        f"--seed={cfg.seed}",
        f"--start={cfg.generated_start.isoformat()}",
        f"--days={cfg.generated_days}",
        f"--volume={cfg.volume}",
        f"--out={cfg.landing}",
        f"--truth={cfg.bench_dir / 'truth'}",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"feed generation failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    seconds = time.perf_counter() - start
    _stamp_path(cfg).write_text(json.dumps(feeds_stamp(cfg)))
    return seconds


def bench_settings(cfg: BenchConfig) -> Settings:
    env = dict(os.environ)
    env["LAKEHOUSE_ROOT"] = str(cfg.root)
    env["LAKEHOUSE_LANDING"] = str(cfg.landing)
    env.setdefault("LAKEHOUSE__SPARK__DRIVER_MEMORY", cfg.driver_memory)
    return load_settings(env=env)


@dataclass
class DayRun:
    """One day of the pipeline: layer seconds, peak RSS, counts and the progress timeline."""

    as_of: date
    seconds: dict[str, float]
    peak_rss_mb: float
    bronze_rows: int
    silver: dict[str, dict[str, int]]
    legs: dict[str, dict[str, int]]
    timeline: list[tuple[float, str]]
    load_average: float  # 1-minute load average of the machine when the day ended

    def segments(self) -> list[dict[str, Any]]:
        """Seconds between consecutive progress messages, attributed to their layer.

        Where a layer works in parallel threads (refine's tables, reconcile's legs) a
        segment is the wait for the next completion, not that table's own cost.
        """
        bounds: dict[str, tuple[float, float]] = {}
        mark = 0.0
        for layer in LAYERS:
            bounds[layer] = (mark, mark + self.seconds[layer])
            mark += self.seconds[layer]
        out: list[dict[str, Any]] = []
        previous = 0.0
        for at, message in self.timeline:
            layer = next((n for n, (lo, hi) in bounds.items() if lo <= at <= hi), "reconcile")
            begin = max(previous, bounds[layer][0])
            out.append(
                {
                    "layer": layer,
                    "seconds": round(at - begin, 2),
                    "at": round(at, 2),
                    "step": message,
                }
            )
            previous = at
        for layer, (_, end) in bounds.items():
            last: float = max(
                [float(s["at"]) for s in out if s["layer"] == layer], default=bounds[layer][0]
            )
            out.append(
                {
                    "layer": layer,
                    "seconds": round(end - last, 2),
                    "at": round(end, 2),
                    "step": f"{layer}: after its last progress message",
                }
            )
        return sorted(out, key=lambda s: s["at"])


def run_pipeline(
    cfg: BenchConfig, settings: Settings, sampler: RssSampler
) -> tuple[list[DayRun], list[DayRun], float]:
    """Warm-up then measured days through ``run_day`` in one SparkSession; returns
    the warm-up runs, the measured runs and the session's start-up seconds."""
    from lakehouse.pipeline import run_day
    from lakehouse.spark import get_spark

    start = time.perf_counter()
    with sampler.phase("spark_startup"):
        spark = get_spark(settings, app_name="lakehouse-bench")
    startup = time.perf_counter() - start
    runs = []
    for day in [*cfg.warmup_dates, *cfg.dates]:
        timeline: list[tuple[float, str]] = []
        t0 = time.perf_counter()

        def progress(message: str, t0: float = t0, timeline: list[Any] = timeline) -> None:
            timeline.append((time.perf_counter() - t0, message.strip()))

        with sampler.phase(day.isoformat()):
            result = run_day(day, settings, spark, progress=progress)
        runs.append(
            DayRun(
                day,
                {k: round(v, 3) for k, v in result.seconds.items()},
                sampler.peak_mb(day.isoformat()),
                result.ingest.rows_bronze,
                result.refine,
                result.reconcile,
                timeline,
                round(os.getloadavg()[0], 2),
            )
        )
        label = " (warm-up)" if day < cfg.start else ""
        print(
            f"  {day}{label}: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()),
            flush=True,
        )
    return runs[: cfg.warmup_days], runs[cfg.warmup_days :], startup


def run_baseline(cfg: BenchConfig, settings: Settings, sampler: RssSampler) -> dict[str, Any]:
    """The DuckDB reconcile of the last day, timed, and its agreement with gold."""
    from bench.duckdb_baseline import DuckDBReconciler, compare, read_gold, read_silver
    from lakehouse.gold.rules import load_legs

    last = cfg.dates[-1]
    root = settings.storage.root
    with sampler.phase("duckdb"):
        snapshot = read_silver(root, last, settings.reconcile_window_days)
        reconciler = DuckDBReconciler(load_legs(), last, settings.reconcile_window_days)
        result = reconciler.run(snapshot.tables, snapshot.frozen)
    gold_matches, gold_items = read_gold(root)
    agreement = compare(result, gold_matches, gold_items, last)
    agreement["manual_decisions_ignored"] = snapshot.manual_decisions
    return {
        "as_of": last.isoformat(),
        "read_seconds": round(snapshot.seconds, 3),
        "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
        "rows_read": {k: t.num_rows for k, t in snapshot.tables.items()},
        "candidate_pairs": result.pairs,
        "agreement": agreement,
        "peak_rss_mb": sampler.peak_mb("duckdb"),
    }


def machine_facts() -> dict[str, Any]:
    """Cores, memory and load of the machine, and the versions that matter."""
    import duckdb
    import pyspark

    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pyspark": pyspark.__version__,
        "duckdb": duckdb.__version__,
    }


# ---- report -----------------------------------------------------------------------------


def build_report(
    cfg: BenchConfig,
    settings: Settings,
    generate_seconds: float | None,
    startup_seconds: float,
    warmup: list[DayRun],
    runs: list[DayRun],
    baseline: dict[str, Any],
    sampler: RssSampler,
    machine: dict[str, Any],
) -> dict[str, Any]:
    """The JSON document of ``bench/results/latest.json``."""
    totals = [r.seconds["total"] for r in runs]
    reconcile_last = runs[-1].seconds["reconcile"]
    duckdb_seconds = baseline["seconds"]["total"]
    ratio_days = totals[-1] / totals[0] if totals[0] else None
    ratio_duckdb = reconcile_last / duckdb_seconds if duckdb_seconds else None
    machine = {**machine, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
    cores = int(machine.get("cores") or 1)
    return {
        "volume_per_day": cfg.volume,
        "days": cfg.days,
        "warmup_days": cfg.warmup_days,
        "generated_days": cfg.generated_days,
        "warmup": [
            {"as_of": r.as_of.isoformat(), **r.seconds, "bronze_rows": r.bronze_rows}
            for r in warmup
        ],
        "seed": cfg.seed,
        "start": cfg.start.isoformat(),
        "generate_seconds": None if generate_seconds is None else round(generate_seconds, 2),
        "spark_startup_seconds": round(startup_seconds, 2),
        "end_to_end_seconds_per_day": totals,
        "layer_seconds": [
            {"as_of": r.as_of.isoformat(), **{k: r.seconds[k] for k in LAYERS}} for r in runs
        ],
        "rows_per_second": round(cfg.volume * cfg.days / sum(totals), 1),
        "rows_per_second_per_day": [round(cfg.volume / t, 1) for t in totals],
        "bronze_rows_per_day": [r.bronze_rows for r in runs],
        "last_over_first_day": round(ratio_days, 3) if ratio_days else None,
        "reconcile_seconds_last_day": reconcile_last,
        "duckdb_seconds": duckdb_seconds,
        "duckdb_read_seconds": baseline["read_seconds"],
        "duckdb_ratio_matching": round(ratio_duckdb, 2) if ratio_duckdb else None,
        "duckdb_agreement": baseline["agreement"],
        "duckdb": baseline,
        "peak_rss_mb": max(sampler.peak_mb("spark_startup"), *(r.peak_rss_mb for r in runs)),
        "peak_rss_mb_per_day": [r.peak_rss_mb for r in runs],
        "peak_rss_mb_generate": sampler.peak_mb("generate"),
        "peak_rss_mb_duckdb": sampler.peak_mb("duckdb"),
        "rss_mb_at_peak_by_process": sampler.breakdown,
        "cpu_seconds": sampler.cpu_seconds,
        # CPU the process tree used over what the cores could give during the day: low
        # values mean waiting (I/O, the driver, or other processes on a shared machine)
        "cpu_utilisation_per_day": [
            round(sampler.cpu_seconds.get(r.as_of.isoformat(), 0.0) / (t * cores), 2)
            for r, t in zip(runs, totals, strict=True)
        ],
        "load_average_at_day_end": [r.load_average for r in runs],
        "targets": {
            "day_seconds_max": TARGET_DAY_SECONDS,
            "every_day_within": all(t <= TARGET_DAY_SECONDS for t in totals),
            "last_over_first_max": TARGET_LAST_OVER_FIRST,
            "last_over_first_within": ratio_days is not None
            and ratio_days <= TARGET_LAST_OVER_FIRST,
            "duckdb_ratio_max": TARGET_DUCKDB_RATIO,
            "duckdb_ratio_within": ratio_duckdb is not None and ratio_duckdb <= TARGET_DUCKDB_RATIO,
            "note": "targets are for 1,000,000 events/day on 2 cores, 24 GiB; informative",
        },
        "spark": {
            "master": settings.spark.master,
            "driver_memory": settings.spark.driver_memory,
            "shuffle_partitions": settings.spark.shuffle_partitions,
            "reconcile_window_days": settings.reconcile_window_days,
            "refine_lookback_days": settings.refine_lookback_days,
        },
        "machine": machine,
        "counts": [
            {"as_of": r.as_of.isoformat(), "silver": r.silver, "legs": r.legs} for r in runs
        ],
        "profile": {r.as_of.isoformat(): r.segments() for r in runs},
    }


def write_report(report: dict[str, Any], out: Path) -> None:
    """Write atomically (a ``.tmp`` then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(out)


def print_report(report: dict[str, Any]) -> None:
    """The table of days and layers, then the baseline and the targets."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    days = Table(
        title=f"Daily pipeline, {report['volume_per_day']:,} ledger events/day "
        f"({report['machine']['cores']} cores, {report['machine']['memory_gib']} GiB)"
    )
    for column in ("day", *LAYERS, "total s", "events/s", "peak RSS MB"):
        days.add_column(column, justify="left" if column == "day" else "right")
    for layers, total, rate, rss in zip(
        report["layer_seconds"],
        report["end_to_end_seconds_per_day"],
        report["rows_per_second_per_day"],
        report["peak_rss_mb_per_day"],
        strict=True,
    ):
        days.add_row(
            layers["as_of"],
            *[f"{layers[k]:.1f}" for k in LAYERS],
            f"{total:.1f}",
            f"{rate:,.0f}",
            f"{rss:,.0f}",
        )
    console.print(days)

    agreement = report["duckdb_agreement"]
    targets = report["targets"]
    summary = Table(title="Baseline and targets", show_header=False)
    summary.add_column("what")
    summary.add_column("value", justify="right")
    rows = [
        (
            "feeds generated in (untimed)",
            "reused"
            if report["generate_seconds"] is None
            else f"{report['generate_seconds']:.1f} s",
        ),
        ("Spark session start", f"{report['spark_startup_seconds']:.1f} s"),
        ("reconcile, last day (Spark)", f"{report['reconcile_seconds_last_day']:.2f} s"),
        ("DuckDB reconcile, same rules and rows", f"{report['duckdb_seconds']:.2f} s"),
        ("DuckDB reading Delta -> Arrow (not counted)", f"{report['duckdb_read_seconds']:.2f} s"),
        (
            "ratio Spark / DuckDB",
            f"{report['duckdb_ratio_matching']}x (target <= {targets['duckdb_ratio_max']}x)",
        ),
        (
            "identical matches (DuckDB / gold)",
            f"{agreement['identical_member_sets']:,} of "
            f"{agreement['matches_duckdb']:,} / {agreement['matches_gold']:,}",
        ),
        (
            "identical item states",
            f"{agreement['items_identical_state']:,} of {agreement['items_duckdb']:,}",
        ),
        ("MATCHED count equal per leg", str(agreement["matched_count_equal_per_leg"])),
        (
            "last day / first day",
            f"{report['last_over_first_day']}x (target <= {targets['last_over_first_max']}x)",
        ),
        (
            f"every day within {targets['day_seconds_max']:.0f} s",
            str(targets["every_day_within"]),
        ),
        ("peak RSS, pipeline (python + JVM)", f"{report['peak_rss_mb']:,.0f} MB"),
        (
            "CPU utilisation per day / load at day end",
            f"{report['cpu_utilisation_per_day']} / {report['load_average_at_day_end']}",
        ),
    ]
    for what, value in rows:
        summary.add_row(what, value)
    console.print(summary)


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    cfg = BenchConfig.from_env(os.environ if env is None else env)
    print(
        f"bench: {cfg.volume:,} ledger events/day x {cfg.days} days, seed {cfg.seed}, "
        f"in {cfg.bench_dir}",
        flush=True,
    )
    machine = machine_facts()
    sampler = RssSampler()
    sampler.start()
    try:
        with sampler.phase("generate"):
            generate_seconds = generate_feeds(cfg)
        if generate_seconds is None:
            print(f"  feeds reused from {cfg.landing} (BENCH_REUSE_FEEDS)", flush=True)
        else:
            print(f"  feeds generated in {generate_seconds:.1f} s (not timed)", flush=True)
        settings = bench_settings(cfg)
        warmup, runs, startup = run_pipeline(cfg, settings, sampler)
        print("  DuckDB baseline ...", flush=True)
        baseline = run_baseline(cfg, settings, sampler)
    finally:
        sampler.stop()
    report = build_report(
        cfg, settings, generate_seconds, startup, warmup, runs, baseline, sampler, machine
    )
    write_report(report, cfg.out)
    print_report(report)
    print(f"written {cfg.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
