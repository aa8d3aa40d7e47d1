"""``BENCH_MODE=curve``: how the cost of a day grows with volume.

Each volume of ``BENCH_VOLUMES`` runs as a ``day``-mode benchmark in a child process
with its own folder (a fresh lakehouse, its own SparkSession and JVM), so nothing one
volume holds in memory carries into the next; the volumes run smallest first. The
child's JSON is summarised into ``curve.json``, rewritten after every volume, so a
volume that fails (e.g. killed for memory) leaves the smaller ones on record together
with how it failed; the larger ones are then skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from bench.config import LAYERS, TARGETS, BenchConfig
from bench.procfs import RssSampler
from bench.stats import fit_exponent, mean, pairwise_exponent, rounded
from lakehouse.config import REPO_ROOT

SERIES = (*LAYERS, "total")
TASK_SUMS = (
    "executor_cpu_seconds",
    "shuffle_write_bytes",
    "shuffle_read_bytes",
    "memory_spilled_bytes",
    "disk_spilled_bytes",
)


def child_env(cfg: BenchConfig, volume: int, env: Mapping[str, str]) -> dict[str, str]:
    """The environment of the ``day``-mode child that measures ``volume``."""
    return {
        **env,
        "BENCH_MODE": "day",
        "BENCH_VOLUME": str(volume),
        "BENCH_DAYS": str(cfg.days),
        "BENCH_WARMUP_DAYS": str(cfg.warmup_days),
        "BENCH_SEED": str(cfg.seed),
        "BENCH_START": cfg.start.isoformat(),
        "BENCH_DRIVER_MEMORY": cfg.driver_memory,
        "BENCH_DIR": str(cfg.bench_dir / f"curve-{volume}"),
        "BENCH_OUT": str(cfg.bench_dir / f"curve-{volume}.json"),
        "BENCH_BASELINE": "1" if cfg.baseline else "0",
        "BENCH_EVENT_LOG": "1" if cfg.event_log else "0",
        "BENCH_REUSE_FEEDS": "1" if cfg.reuse_feeds else "0",
    }


def volume_entry(report: dict[str, Any]) -> dict[str, Any]:
    """One volume of the curve from its ``day``-mode report: means of the measured days."""
    days = report["per_day"]
    volume = int(report["volume_per_day"])
    seconds = {k: rounded(mean([float(d[k]) for d in days]), 2) for k in SERIES}
    total = seconds["total"] or 0.0
    bronze = mean([float(d["bronze_rows"]) for d in days]) or 0.0
    tasks: dict[str, dict[str, float | None]] = {
        layer: {
            name: rounded(mean([float(t[layer][name]) for t in report["spark_tasks"].values()]), 2)
            for name in TASK_SUMS
        }
        for layer in LAYERS
        if report.get("spark_tasks")
    }
    last = days[-1]["as_of"]
    steps = sorted(report.get("profile", {}).get(last, []), key=lambda s: -float(s["seconds"]))
    return {
        "volume": volume,
        "seconds": seconds,
        "cpu_seconds": {
            **{
                k: rounded(mean([float(d["layer_cpu_seconds"][k]) for d in days]), 2)
                for k in LAYERS
            },
            "total": rounded(mean([float(d["cpu_seconds"]) for d in days]), 2),
        },
        "peak_rss_mb": report["peak_rss_mb"],
        "layer_peak_rss_mb": {
            k: max(float(d["layer_peak_rss_mb"][k]) for d in days) for k in LAYERS
        },
        "rows_per_second": round(volume / total, 1) if total else None,
        "bronze_rows": round(bronze),
        "bronze_rows_per_second": round(bronze / total, 1) if total else None,
        "spark_tasks": tasks,
        "duckdb_ratio_matching": report.get("duckdb_ratio_matching"),
        "generate_seconds": report.get("generate_seconds"),
        "top_steps": [{k: s[k] for k in ("layer", "seconds", "step")} for s in steps[:8]],
    }


def exponents(entries: Sequence[dict[str, Any]], key: str = "seconds") -> dict[str, Any]:
    """Per series the fitted ``k`` over all volumes and ``k`` between the last two."""
    done = sorted((e for e in entries if key in e), key=lambda e: int(e["volume"]))
    volumes = [float(e["volume"]) for e in done]
    out: dict[str, Any] = {"all": {}, "last_two": {}}
    for series in SERIES:
        values = [e[key].get(series) for e in done]
        if len(done) < 2 or any(v is None for v in values):
            out["all"][series] = out["last_two"][series] = None
            continue
        numbers = [float(v) for v in values]
        out["all"][series] = rounded(fit_exponent(volumes, numbers))
        out["last_two"][series] = rounded(
            pairwise_exponent(volumes[-2], numbers[-2], volumes[-1], numbers[-1])
        )
    out["last_two_volumes"] = [int(v) for v in volumes[-2:]] if len(done) >= 2 else []
    return out


def summarize(
    cfg: BenchConfig, entries: list[dict[str, Any]], extra: dict[str, Any]
) -> dict[str, Any]:
    """The JSON document of ``curve.json``."""
    time_k = exponents(entries)
    last_two = [k for s, k in time_k["last_two"].items() if s in LAYERS]
    return {
        "mode": "curve",
        "volumes": list(entries),
        "k": time_k["all"],
        "k_last_two": time_k["last_two"],
        "k_last_two_volumes": time_k["last_two_volumes"],
        "k_cpu": exponents(entries, "cpu_seconds")["all"],
        "targets": {
            "k_max": TARGETS["k"],
            "k_last_two_within": None
            if not last_two or None in last_two
            else all(k <= TARGETS["k"] for k in last_two),
        },
        "days": cfg.days,
        "warmup_days": cfg.warmup_days,
        "seed": cfg.seed,
        "driver_memory": cfg.driver_memory,
        **extra,
    }


def _run_child(cfg: BenchConfig, volume: int) -> tuple[int, float]:
    """Run one volume; its exit status and the peak RSS of its process tree."""
    command = [sys.executable, "-m", "bench.run"]
    child = subprocess.Popen(command, cwd=REPO_ROOT, env=child_env(cfg, volume, os.environ))
    sampler = RssSampler(pid=child.pid)
    sampler.start()
    try:
        status = child.wait()
    finally:
        sampler.stop()
    return status, sampler.peak_mb()


def _tidy(cfg: BenchConfig, volume: int) -> None:
    """Free the disk a volume used (the feeds stay when they may be reused)."""
    folder = cfg.bench_dir / f"curve-{volume}"
    for name in ("lakehouse", "eventlog", *(() if cfg.reuse_feeds else ("landing", "truth"))):
        shutil.rmtree(folder / name, ignore_errors=True)


def _measure_volume(cfg: BenchConfig, volume: int) -> dict[str, Any]:
    print(f"curve: {volume:,} ledger events/day in a child process", flush=True)
    out = cfg.bench_dir / f"curve-{volume}.json"
    out.unlink(missing_ok=True)  # a report left by an earlier run is not this one
    status, observed = _run_child(cfg, volume)
    _tidy(cfg, volume)
    if status == 0 and out.is_file():
        return volume_entry(json.loads(out.read_text(encoding="utf-8")))
    why = f"killed by signal {-status}" if status < 0 else f"exit {status}"
    return {"volume": volume, "error": why, "peak_rss_mb_observed": observed}


def run_curve(cfg: BenchConfig, extra: dict[str, Any], write: Any) -> dict[str, Any]:
    """Every volume in its own process; ``write`` is called with the document after each."""
    entries: list[dict[str, Any]] = []
    for volume in cfg.volumes:
        if any("error" in e for e in entries):
            entries.append({"volume": volume, "skipped": "a smaller volume failed"})
        else:
            entries.append(_measure_volume(cfg, volume))
        write(summarize(cfg, entries, extra))
    return summarize(cfg, entries, extra)
