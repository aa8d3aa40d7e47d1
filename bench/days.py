"""Business days through the pipeline in one SparkSession, measured layer by layer."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bench import eventlog
from bench.config import LAYERS, BenchConfig
from bench.procfs import RssSampler, Window
from lakehouse.config import REPO_ROOT, Settings, load_settings


def bench_settings(cfg: BenchConfig) -> Settings:
    env = dict(os.environ)
    env["LAKEHOUSE_ROOT"] = str(cfg.root)
    env["LAKEHOUSE_LANDING"] = str(cfg.landing)
    env.setdefault("LAKEHOUSE__SPARK__DRIVER_MEMORY", cfg.driver_memory)
    return load_settings(env=env)


def layer_bounds(seconds: dict[str, float], setup: float = 0.0) -> dict[str, tuple[float, float]]:
    """Each layer's interval in seconds from the start of the day: the layers run in
    turn after ``setup`` (the lease and the plan of which days to run)."""
    bounds: dict[str, tuple[float, float]] = {}
    mark = setup
    for layer in LAYERS:
        bounds[layer] = (mark, mark + seconds[layer])
        mark += seconds[layer]
    return bounds


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
    started_at: float = 0.0  # epoch seconds
    setup_seconds: float = 0.0  # before ingest: the writer lease, which days to run
    layers: dict[str, Window] = field(default_factory=dict)
    cpu_seconds: float = 0.0

    def intervals(self) -> list[eventlog.Interval]:
        """The layers as wall-clock intervals, to attribute Spark tasks to them."""
        begin = self.started_at * 1000
        return [
            eventlog.Interval(self.as_of.isoformat(), layer, begin + lo * 1000, begin + hi * 1000)
            for layer, (lo, hi) in layer_bounds(self.seconds, self.setup_seconds).items()
        ]

    def segments(self) -> list[dict[str, Any]]:
        """Seconds between consecutive progress messages, attributed to their layer.

        Where a layer works in parallel threads (refine's tables, reconcile's legs) a
        segment is the wait for the next completion, not that table's own cost.
        """
        bounds = {
            "setup": (0.0, self.setup_seconds),
            **layer_bounds(self.seconds, self.setup_seconds),
        }
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

    def summary(self) -> dict[str, Any]:
        """Seconds, CPU and peak RSS per layer and for the day."""
        return {
            "as_of": self.as_of.isoformat(),
            **self.seconds,
            "setup_seconds": self.setup_seconds,
            "bronze_rows": self.bronze_rows,
            "cpu_seconds": self.cpu_seconds,
            "peak_rss_mb": self.peak_rss_mb,
            "layer_cpu_seconds": {k: w.cpu_seconds for k, w in self.layers.items()},
            "layer_peak_rss_mb": {k: w.peak_rss_mb for k, w in self.layers.items()},
        }


@dataclass
class PipelineRun:
    warmup: list[DayRun]
    days: list[DayRun]
    startup_seconds: float
    event_log: Path | None = None
    spark_tasks: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


AfterDay = Callable[[DayRun], None]


def _one_day(
    day: date, settings: Settings, spark: Any, sampler: RssSampler, warmup: bool
) -> DayRun:
    from lakehouse.pipeline import run_day

    timeline: list[tuple[float, str]] = []
    started_at = time.time()
    t0 = time.perf_counter()

    def progress(message: str) -> None:
        timeline.append((time.perf_counter() - t0, message.strip()))

    with sampler.phase(day.isoformat()):
        result = run_day(day, settings, spark, progress=progress)
    wall = time.perf_counter() - t0
    seconds = {k: round(v, 3) for k, v in result.seconds.items()}
    # the layers are timed inside run_day, after its setup; releasing the lease after
    # reconcile is a file write, so the setup is what the day's wall time has more
    setup = round(max(wall - result.seconds["total"], 0.0), 3)
    run = DayRun(
        day,
        seconds,
        sampler.peak_mb(day.isoformat()),
        result.ingest.rows_bronze,
        result.refine,
        result.reconcile,
        timeline,
        round(os.getloadavg()[0], 2),
        started_at=started_at,
        setup_seconds=setup,
        layers={
            layer: sampler.window(t0 + lo, t0 + hi)
            for layer, (lo, hi) in layer_bounds(seconds, setup).items()
        },
        cpu_seconds=sampler.cpu_seconds.get(day.isoformat(), 0.0),
    )
    label = " (warm-up)" if warmup else ""
    print(
        f"  {day}{label}: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()),
        flush=True,
    )
    return run


def run_pipeline(
    cfg: BenchConfig, settings: Settings, sampler: RssSampler, after_day: AfterDay | None = None
) -> PipelineRun:
    """Warm-up then measured days through ``run_day`` in one SparkSession, which is
    stopped at the end (so its event log is complete); ``after_day`` sees every day."""
    from lakehouse.spark import get_spark

    log_dir = cfg.bench_dir / "eventlog"
    if cfg.event_log:
        eventlog.enable(log_dir)
    start = time.perf_counter()
    with sampler.phase("spark_startup"):
        spark = get_spark(settings, app_name="lakehouse-bench")
    startup = time.perf_counter() - start
    app_id = spark.sparkContext.applicationId
    runs = []
    try:
        for day in [*cfg.warmup_dates, *cfg.dates]:
            run = _one_day(day, settings, spark, sampler, warmup=day < cfg.start)
            runs.append(run)
            if after_day is not None:
                after_day(run)
    finally:
        spark.stop()
    path = eventlog.find_log(log_dir, app_id) if cfg.event_log else None
    measured = runs[cfg.warmup_days :]
    tasks = eventlog.read_layer_metrics(path, [i for r in measured for i in r.intervals()])
    return PipelineRun(runs[: cfg.warmup_days], measured, startup, path, tasks)


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


def source_commit() -> dict[str, Any]:
    """The commit measured and whether the work tree differed from it."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD") or None,
        # results written by an earlier run are not source: they do not make it dirty
        "dirty": bool(
            git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")
        ),
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
