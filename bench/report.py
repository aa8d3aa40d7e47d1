"""The ``day`` mode's JSON document (``bench/results/latest.json``) and its console table."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config import LAYERS, TARGETS, BenchConfig
from bench.days import PipelineRun, source_commit
from bench.procfs import RssSampler
from lakehouse.config import Settings


@dataclass
class Measured:
    """Everything a mode measured in one process: the days and how they were run."""

    cfg: BenchConfig
    settings: Settings
    generate_seconds: float | None
    pipeline: PipelineRun
    sampler: RssSampler
    machine: dict[str, Any]


def common(m: Measured) -> dict[str, Any]:
    """What every mode's JSON holds: the run's parameters, source, machine, and per
    measured day the seconds, CPU and peak RSS of each layer and the Spark task sums."""
    runs = m.pipeline.days
    return {
        "mode": m.cfg.mode,
        "volume_per_day": m.cfg.volume,
        "days": m.cfg.days,
        "warmup_days": m.cfg.warmup_days,
        "generated_days": m.cfg.generated_days,
        "seed": m.cfg.seed,
        "start": m.cfg.start.isoformat(),
        "source": source_commit(),
        "generate_seconds": None if m.generate_seconds is None else round(m.generate_seconds, 2),
        "peak_rss_mb_generate": m.sampler.peak_mb("generate"),
        "spark_startup_seconds": round(m.pipeline.startup_seconds, 2),
        "warmup": [r.summary() for r in m.pipeline.warmup],
        "per_day": [r.summary() for r in runs],
        "spark_tasks": m.pipeline.spark_tasks,
        "peak_rss_mb": max(m.sampler.peak_mb("spark_startup"), *(r.peak_rss_mb for r in runs)),
        "spark": {
            "master": m.settings.spark.master,
            "driver_memory": m.settings.spark.driver_memory,
            "shuffle_partitions": m.settings.spark.shuffle_partitions,
            "reconcile_window_days": m.settings.reconcile_window_days,
            "refine_lookback_days": m.settings.refine_lookback_days,
        },
        "machine": {
            **m.machine,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
    }


def build_report(m: Measured, baseline: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON document of the ``day`` mode (``bench/results/latest.json``)."""
    cfg, runs, sampler = m.cfg, m.pipeline.days, m.sampler
    totals = [r.seconds["total"] for r in runs]
    reconcile_last = runs[-1].seconds["reconcile"]
    duckdb_seconds = baseline["seconds"]["total"] if baseline else None
    ratio_days = totals[-1] / totals[0] if totals[0] else None
    ratio_duckdb = reconcile_last / duckdb_seconds if duckdb_seconds else None
    cores = int(m.machine.get("cores") or 1)
    return {
        **common(m),
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
        "duckdb_read_seconds": baseline["read_seconds"] if baseline else None,
        "duckdb_ratio_matching": round(ratio_duckdb, 2) if ratio_duckdb else None,
        "duckdb_agreement": baseline["agreement"] if baseline else None,
        "duckdb": baseline,
        "peak_rss_mb_per_day": [r.peak_rss_mb for r in runs],
        "peak_rss_mb_duckdb": sampler.peak_mb("duckdb") if baseline else None,
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
            "day_seconds_max": TARGETS["day_seconds"],
            "every_day_within": all(t <= TARGETS["day_seconds"] for t in totals),
            "last_over_first_max": TARGETS["last_over_first_3_days"],
            "last_over_first_within": ratio_days is not None
            and ratio_days <= TARGETS["last_over_first_3_days"],
            "duckdb_ratio_max": TARGETS["duckdb_ratio"],
            "duckdb_ratio_within": ratio_duckdb is not None
            and ratio_duckdb <= TARGETS["duckdb_ratio"],
            "note": "targets are for 1,000,000 events/day on 2 cores, 24 GiB; informative",
        },
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

    targets = report["targets"]
    summary = Table(title="Baseline and targets", show_header=False)
    summary.add_column("what")
    summary.add_column("value", justify="right")
    generated = report["generate_seconds"]
    rows = [
        ("feeds generated in (untimed)", "reused" if generated is None else f"{generated:.1f} s"),
        ("Spark session start", f"{report['spark_startup_seconds']:.1f} s"),
        ("reconcile, last day (Spark)", f"{report['reconcile_seconds_last_day']:.2f} s"),
        *_baseline_rows(report),
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


def _baseline_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    agreement = report["duckdb_agreement"]
    if agreement is None:
        return [("DuckDB baseline", "not run (BENCH_BASELINE=0)")]
    return [
        ("DuckDB reconcile, same rules and rows", f"{report['duckdb_seconds']:.2f} s"),
        ("DuckDB reading Delta -> Arrow (not counted)", f"{report['duckdb_read_seconds']:.2f} s"),
        (
            "ratio Spark / DuckDB",
            f"{report['duckdb_ratio_matching']}x "
            f"(target <= {report['targets']['duckdb_ratio_max']}x)",
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
    ]
