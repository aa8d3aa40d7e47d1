"""``BENCH_MODE=month``: does a day stay flat over a month of history?

Runs ``BENCH_DAYS`` (30) measured days in one SparkSession, as production would, and
reports every day's seconds per layer, the last day over the first per layer and end
to end (and, as a guard against one noisy day, the mean of the last three over the
mean of the first three), and the growth of every table's Delta log: its size after
each day, and at the end per table its bytes, files and checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import delta_log
from bench.config import LAYERS, TARGETS
from bench.days import DayRun
from bench.report import Measured, common
from bench.stats import last_over_first, rounded, tail_over_head

SERIES = (*LAYERS, "total")


def month_summary(days: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``last_over_first`` and ``last3_over_first3`` per layer and end to end, from the
    measured days' seconds (``{"ingest": s, ..., "total": s}`` per day, in order)."""
    # mean of the last 3 over the first 3; fewer days shrink both windows to half the run
    out: dict[str, Any] = {
        "last_over_first": {},
        "last3_over_first3": {},
        "window_days": min(3, len(days) // 2),
    }
    for series in SERIES:
        values = [float(d[series]) for d in days]
        out["last_over_first"][series] = rounded(last_over_first(values))
        out["last3_over_first3"][series] = rounded(tail_over_head(values, 3))
    total = out["last3_over_first3"]["total"]
    out["targets"] = {
        "last_over_first_max": TARGETS["month_last_over_first"],
        # the noise-guarded ratio decides; the raw one is reported next to it
        "within": None if total is None else total <= TARGETS["month_last_over_first"],
    }
    return out


class LogGrowth:
    """After each day, the total size of the lakehouse's Delta logs (no table reads)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.per_day: dict[str, dict[str, int]] = {}

    def __call__(self, run: DayRun) -> None:
        self.per_day[run.as_of.isoformat()] = delta_log.totals(
            delta_log.lakehouse_logs(self.root, interval=False)
        )


def month_report(m: Measured, growth: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The JSON document of ``month.json``."""
    days = [r.summary() for r in m.pipeline.days]
    for day in days:
        day["delta_logs"] = growth.get(day["as_of"])
    logs = delta_log.lakehouse_logs(m.cfg.root)
    intervals = sorted(
        {(s["checkpoint_interval"], s["checkpoint_interval_source"]) for s in logs.values()}
    )
    return {
        **common(m),
        "per_day": days,
        **month_summary(days),
        "delta_logs": logs,
        "delta_logs_total": delta_log.totals(logs),
        "checkpoint_intervals": [{"interval": i, "source": s} for i, s in intervals],
    }
