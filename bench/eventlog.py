"""Shuffle, spill and executor CPU per layer, from the Spark event log of the run.

The benchmark turns on Spark's event log (``spark.eventLog.*``, through
``PYSPARK_SUBMIT_ARGS`` so the lakehouse's own session builder is used unchanged), in
plain text, one file. Each ``SparkListenerTaskEnd`` event carries the task's metrics
and its finish time; a task belongs to the layer whose wall-clock interval holds its
finish time. Needs no Spark UI and no port.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What is summed per layer: name in the output -> path in "Task Metrics"
METRICS: dict[str, tuple[str, ...]] = {
    "tasks": (),
    "executor_cpu_seconds": ("Executor CPU Time",),  # nanoseconds
    "executor_run_seconds": ("Executor Run Time",),  # milliseconds
    "shuffle_write_bytes": ("Shuffle Write Metrics", "Shuffle Bytes Written"),
    "shuffle_read_bytes": ("Shuffle Read Metrics", "Remote Bytes Read"),
    "shuffle_local_read_bytes": ("Shuffle Read Metrics", "Local Bytes Read"),
    "memory_spilled_bytes": ("Memory Bytes Spilled",),
    "disk_spilled_bytes": ("Disk Bytes Spilled",),
    "input_bytes": ("Input Metrics", "Bytes Read"),
    "output_bytes": ("Output Metrics", "Bytes Written"),
}
SCALE = {"executor_cpu_seconds": 1e-9, "executor_run_seconds": 1e-3}
# Events left out of the log: only task ends are read, and the query plans that SQL
# events carry would make the log tens of MB a day at any volume.
SQL_EVENTS = "org.apache.spark.sql.execution.ui.SparkListener"
EXCLUDED = (
    "SparkListenerTaskStart",
    "SparkListenerJobStart",
    "SparkListenerStageSubmitted",
    "SparkListenerStageCompleted",
    f"{SQL_EVENTS}SQLExecutionStart",
    f"{SQL_EVENTS}SQLAdaptiveExecutionUpdate",
    f"{SQL_EVENTS}SQLAdaptiveSQLMetricUpdates",
    f"{SQL_EVENTS}DriverAccumUpdates",
)


def submit_args(folder: Path, existing: str | None = None) -> str:
    """``PYSPARK_SUBMIT_ARGS`` that log task ends into ``folder``, uncompressed, one file."""
    confs = {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": folder.as_uri(),
        "spark.eventLog.compress": "false",
        "spark.eventLog.rolling.enabled": "false",
        "spark.eventLog.excludedPatterns": ",".join(EXCLUDED),
        # the task's metrics stay; their copies as accumulator updates go
        "spark.eventLog.includeTaskMetricsAccumulators": "false",
    }
    args = " ".join(f"--conf {k}={v}" for k, v in confs.items())
    rest = (existing or "pyspark-shell").strip()
    return f"{args} {rest}" if "pyspark-shell" in rest else f"{args} {rest} pyspark-shell"


def enable(folder: Path) -> None:
    """Log the events of the SparkSession this process starts next into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PYSPARK_SUBMIT_ARGS"] = submit_args(folder, os.environ.get("PYSPARK_SUBMIT_ARGS"))


def find_log(folder: Path, app_id: str) -> Path | None:
    """The event log file of application ``app_id`` (complete or ``.inprogress``)."""
    found = sorted(p for p in folder.rglob(f"*{app_id}*") if p.is_file())
    return found[0] if found else None


@dataclass(frozen=True)
class Interval:
    """A named wall-clock interval (epoch milliseconds), e.g. one layer of one day."""

    day: str
    layer: str
    begin_ms: float
    end_ms: float


def _value(metrics: dict[str, Any], path: tuple[str, ...]) -> float:
    node: Any = metrics
    for key in path:
        if not isinstance(node, dict):
            return 0.0
        node = node.get(key, 0)
    return float(node) if isinstance(node, int | float) else 0.0


def layer_metrics(
    lines: Iterable[str], intervals: list[Interval]
) -> dict[str, dict[str, dict[str, float]]]:
    """Per day and layer, the sums of :data:`METRICS` over the tasks that ended in it."""
    out: dict[str, dict[str, dict[str, float]]] = {
        i.day: {j.layer: dict.fromkeys(METRICS, 0.0) for j in intervals if j.day == i.day}
        for i in intervals
    }
    for line in lines:
        if '"SparkListenerTaskEnd"' not in line:
            continue
        event = json.loads(line)
        finished = float(event.get("Task Info", {}).get("Finish Time", 0))
        where = next((i for i in intervals if i.begin_ms <= finished <= i.end_ms), None)
        if where is None:
            continue
        sums = out[where.day][where.layer]
        metrics = event.get("Task Metrics") or {}
        for name, path in METRICS.items():
            sums[name] += 1.0 if not path else _value(metrics, path)
    for layers in out.values():
        for sums in layers.values():
            for name, factor in SCALE.items():
                sums[name] = round(sums[name] * factor, 2)
            for name in METRICS:
                if name not in SCALE:
                    sums[name] = int(sums[name])
    return out


def read_layer_metrics(
    path: Path | None, intervals: list[Interval]
) -> dict[str, dict[str, dict[str, float]]]:
    """:func:`layer_metrics` of an event log file; empty when there is none."""
    if path is None or not path.is_file():
        return {}
    with path.open(encoding="utf-8", errors="replace") as fh:
        return layer_metrics(fh, intervals)
