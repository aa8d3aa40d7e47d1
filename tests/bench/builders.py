"""Small result documents shaped like the benchmark's JSON, for tests without Spark."""

from __future__ import annotations

from typing import Any

LAYERS = ("ingest", "refine", "reconcile")


def day(as_of: str, ingest: float, refine: float, reconcile: float, **extra: Any) -> dict[str, Any]:
    """One measured day as in ``per_day``: seconds, CPU and peak RSS per layer."""
    seconds = {"ingest": ingest, "refine": refine, "reconcile": reconcile}
    return {
        "as_of": as_of,
        **seconds,
        "total": ingest + refine + reconcile,
        "bronze_rows": 1800,
        "cpu_seconds": 2 * (ingest + refine + reconcile),
        "peak_rss_mb": 3000.0,
        "layer_cpu_seconds": {k: 2 * v for k, v in seconds.items()},
        "layer_peak_rss_mb": {k: 2000.0 + 100 * v for k, v in seconds.items()},
        **extra,
    }


def day_report(volume: int, scale: float) -> dict[str, Any]:
    """A ``day``-mode report of two measured days whose seconds are ``scale`` x (1, 2, 4)."""
    days = [
        day("2026-11-02", 1 * scale, 2 * scale, 4 * scale),
        day("2026-11-03", 1.2 * scale, 2.2 * scale, 4.2 * scale),
    ]
    tasks = {
        d["as_of"]: {
            k: {
                "executor_cpu_seconds": 0.25 * d["layer_cpu_seconds"][k],
                "shuffle_write_bytes": volume * 10,
                "shuffle_read_bytes": volume * 10,
                "memory_spilled_bytes": 0,
                "disk_spilled_bytes": 0,
            }
            for k in LAYERS
        }
        for d in days
    }
    profile = [
        {"layer": "reconcile", "seconds": 3.0, "at": 9.0, "step": "merged recon_items"},
        {"layer": "ingest", "seconds": 1.0, "at": 1.0, "step": "ingested ledger"},
    ]
    return {
        "mode": "day",
        "volume_per_day": volume,
        "per_day": days,
        "peak_rss_mb": 3000.0 + volume / 1000,
        "spark_tasks": tasks,
        "profile": {"2026-11-03": profile},
        "generate_seconds": 1.5,
        "duckdb_ratio_matching": None,
    }


def curve(volumes: list[int], exponent: float = 1.0) -> list[dict[str, Any]]:
    """Day-mode reports whose seconds grow as volume^exponent."""
    return [day_report(v, (v / volumes[0]) ** exponent) for v in volumes]
