"""``BENCH_MODE=10m``: one day of 10,000,000 ledger events end to end on this machine.

Reports the day's seconds, per layer and end to end, the peak RSS of the process tree
(whole day and per layer), the CPU used, what Spark spilled, and where the time went:
the day's progress timeline (``profile``) and its longest steps. Generating the feeds
runs before, in a child process, and is reported apart.
"""

from __future__ import annotations

from typing import Any

from bench.config import LAYERS, TARGETS
from bench.report import Measured, common

TOP_STEPS = 12


def ten_million_report(m: Measured) -> dict[str, Any]:
    """The JSON document of ``10m.json`` (the last measured day when there are several)."""
    day = m.pipeline.days[-1]
    segments = day.segments()
    peak = max(m.sampler.peak_mb("spark_startup"), *(r.peak_rss_mb for r in m.pipeline.days))
    return {
        **common(m),
        "as_of": day.as_of.isoformat(),
        "seconds": day.seconds["total"],
        "seconds_per_layer": {k: day.seconds[k] for k in LAYERS},
        "peak_rss_mb": peak,
        "peak_rss_mb_per_layer": {k: w.peak_rss_mb for k, w in day.layers.items()},
        "cpu_seconds": day.cpu_seconds,
        "cpu_seconds_per_layer": {k: w.cpu_seconds for k, w in day.layers.items()},
        "bronze_rows": day.bronze_rows,
        "rows_per_second": round(m.cfg.volume / day.seconds["total"], 1),
        "rss_mb_at_peak_by_process": m.sampler.breakdown.get(day.as_of.isoformat(), {}),
        "top_steps": [
            {k: s[k] for k in ("layer", "seconds", "step")}
            for s in sorted(segments, key=lambda s: -float(s["seconds"]))[:TOP_STEPS]
        ],
        "profile": segments,
        "counts": {"silver": day.silver, "legs": day.legs},
        "targets": {
            "peak_rss_mb_max": TARGETS["ten_million_rss_mb"],
            "within": peak <= TARGETS["ten_million_rss_mb"],
        },
    }
