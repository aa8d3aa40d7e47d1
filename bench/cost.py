"""The cost model: per layer CPU-seconds, memory and shuffle per million events, from
``curve.json``, and the cluster they predict at larger volumes.

Every cost of a layer ``L`` is a line in the volume ``v`` (in millions of ledger
events a day), ``cost(v) = fixed + per_million * v``: ``per_million`` is the slope of
the least-squares line through the curve's volumes, and ``fixed`` is set so the line
passes through the largest volume measured, ``V0`` (the one whose figures matter
most). A slope that is not positive (noise, or a range where fixed costs dominate)
does not count as "free": CPU is then taken as all proportional
(``per_million = cost(V0) / V0``, ``fixed = 0``), memory as not growing
(``per_million = 0``, ``fixed = rss(V0)``).

* CPU: the mean CPU-seconds of the layer over the measured days, for the whole
  process tree (driver and executors, from ``/proc``), split into the CPU time of
  Spark's tasks that ended in the layer (``exec``, from the event log) and the rest,
  the driver's (``drv``: planning, Delta log work, the driver's Python), which more
  executors do not shorten. Without task metrics all of it counts as ``exec``.
* Growth: the proportional part grows as ``(V / V0) ** g`` beyond ``V0`` with
  ``g = max(1, k)``, ``k`` the exponent of the layer's CPU-seconds between the two
  largest volumes: a layer that grew faster than its volume is taken to keep doing so.
* Memory: the layer's peak RSS (``base`` is what a process holds with no data).
* Shuffle: Spark's shuffle bytes written in the layer, proportional to volume.

A cluster for ``V`` events a day, under :class:`Assumptions` (the day's batch runs
within ``window_seconds``, at ``efficiency`` of the cores; the layers one after the
other, each using every core):
``cores = ceil(sum_L exec_L(V) / (window_seconds * efficiency))``,
``driver_cores = ceil(sum_L drv_L(V) / (window_seconds * efficiency))``,
``executors = ceil(cores / executor_cores)``, and each executor holds ``base_L`` plus
its share of the proportional memory, with ``headroom``:
``executor_memory = headroom * max_L(base_L + mb_L * V / 1e6 / executors)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.config import LAYERS
from bench.stats import linear_fit, mean, pairwise_exponent, rounded

PREDICT_VOLUMES = (10_000_000, 100_000_000)
MILLION = 1_000_000


@dataclass(frozen=True)
class Assumptions:
    window_seconds: float = 3600.0  # a day's batch finishes within an hour
    efficiency: float = 0.7  # share of the cluster's core-seconds that does the work
    executor_cores: int = 4
    headroom: float = 1.5  # memory safety factor over the fitted working set


@dataclass(frozen=True)
class Line:
    """``fixed + per_million * v``, ``v`` in millions of events."""

    fixed: float
    per_million: float

    def at(self, millions: float, v0: float = 0.0, growth: float = 1.0) -> float:
        """The cost at ``millions``; beyond ``v0`` the proportional part grows as
        ``(millions / v0) ** growth`` from its value at ``v0``."""
        if v0 and millions > v0 and growth != 1.0:
            return self.fixed + self.per_million * v0 * math.pow(millions / v0, growth)
        return self.fixed + self.per_million * millions


def cpu_line(millions: Sequence[float], seconds: Sequence[float]) -> Line:
    """CPU-seconds as a line through the last point (all proportional if it does not rise)."""
    fit = linear_fit(millions, seconds)
    slope = fit[1] if fit else 0.0
    fixed = seconds[-1] - slope * millions[-1]
    if slope <= 0 or fixed < 0:
        return Line(0.0, seconds[-1] / millions[-1])
    return Line(fixed, slope)


def memory_line(millions: Sequence[float], mb: Sequence[float]) -> Line:
    """Peak RSS as a line through the last point (flat if it does not rise)."""
    fit = linear_fit(millions, mb)
    slope = fit[1] if fit else 0.0
    fixed = mb[-1] - slope * millions[-1]
    if slope <= 0 or fixed < 0:
        return Line(mb[-1], 0.0)
    return Line(fixed, slope)


def _measured(curve: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        (e for e in curve.get("volumes", []) if "cpu_seconds" in e),
        key=lambda e: int(e["volume"]),
    )


def _executor_cpu(entry: dict[str, Any], layer: str) -> float | None:
    value = (entry.get("spark_tasks") or {}).get(layer, {}).get("executor_cpu_seconds")
    return None if value is None else float(value)


def layer_costs(curve: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """Per layer the lines of executor CPU, driver CPU and memory, the growth exponent
    and the shuffle bytes per million events; None without a measured volume."""
    entries = _measured(curve)
    if not entries:
        return None
    millions = [float(e["volume"]) / MILLION for e in entries]
    out: dict[str, dict[str, Any]] = {}
    for layer in LAYERS:
        cpu = [float(e["cpu_seconds"][layer]) for e in entries]
        tasks = [_executor_cpu(e, layer) for e in entries]
        executor = (
            cpu
            if None in tasks
            else [min(float(t or 0), c) for t, c in zip(tasks, cpu, strict=True)]
        )
        driver = [c - x for c, x in zip(cpu, executor, strict=True)]
        k = (
            pairwise_exponent(millions[-2], cpu[-2], millions[-1], cpu[-1])
            if len(entries) > 1
            else None
        )
        shuffle = (entries[-1].get("spark_tasks") or {}).get(layer, {}).get("shuffle_write_bytes")
        lines = {
            "executor_cpu": cpu_line(millions, executor),
            "driver_cpu": cpu_line(millions, driver) if any(driver) else Line(0.0, 0.0),
            "memory_mb": memory_line(
                millions, [float(e["layer_peak_rss_mb"][layer]) for e in entries]
            ),
        }
        out[layer] = {
            **{
                f"{name}_{part}": rounded(getattr(line, part), 2)
                for name, line in lines.items()
                for part in ("fixed", "per_million")
            },
            "cpu_seconds_per_million": rounded(
                lines["executor_cpu"].per_million + lines["driver_cpu"].per_million, 2
            ),
            "driver_share_at_v0": rounded(driver[-1] / cpu[-1], 2)
            if cpu[-1] and None not in tasks
            else None,
            "k_cpu_last_two": rounded(k),
            "growth_exponent": rounded(max(1.0, k if k is not None else 1.0)),
            "shuffle_bytes_per_million": None
            if shuffle is None
            else round(float(shuffle) / millions[-1]),
        }
    return out


def _line(costs: dict[str, Any], name: str) -> Line:
    return Line(float(costs[f"{name}_fixed"]), float(costs[f"{name}_per_million"]))


def _cpu_at(costs: dict[str, dict[str, Any]], v0: int, volume: int, name: str) -> dict[str, float]:
    """Per layer the CPU-seconds of line ``name`` (executor_cpu, driver_cpu) at ``volume``."""
    at, base = volume / MILLION, v0 / MILLION
    return {
        layer: _line(c, name).at(at, base, float(c["growth_exponent"]))
        for layer, c in costs.items()
    }


def predict(
    costs: dict[str, dict[str, Any]], v0: int, volume: int, assume: Assumptions
) -> dict[str, Any]:
    """Cores, executors, executor memory and driver cores for ``volume`` events a day."""
    at = volume / MILLION
    executor = _cpu_at(costs, v0, volume, "executor_cpu")
    driver = _cpu_at(costs, v0, volume, "driver_cpu")
    useful = assume.window_seconds * assume.efficiency
    cores = max(1, math.ceil(sum(executor.values()) / useful))
    executors = max(1, math.ceil(cores / assume.executor_cores))
    memory = assume.headroom * max(
        c["memory_mb_fixed"] + c["memory_mb_per_million"] * at / executors for c in costs.values()
    )
    shuffle = [c["shuffle_bytes_per_million"] for c in costs.values()]
    return {
        "volume": volume,
        "cpu_seconds": {k: round(executor[k] + driver[k]) for k in costs},
        "cpu_seconds_total": round(sum(executor.values()) + sum(driver.values())),
        "driver_cpu_seconds": round(sum(driver.values())),
        "driver_cores": max(1, math.ceil(sum(driver.values()) / useful)),
        "cores": cores,
        "executors": executors,
        "executor_cores": assume.executor_cores,
        "executor_memory_gb": math.ceil(memory / 1024),
        "shuffle_gb": None
        if None in shuffle
        else round(sum(int(s) for s in shuffle) * at / 1024**3, 1),
    }


def cost_model(
    curve: dict[str, Any],
    volumes: tuple[int, ...] = PREDICT_VOLUMES,
    assume: Assumptions | None = None,
) -> dict[str, Any] | None:
    """Layer costs and the predicted cluster per volume; None without a measured volume."""
    assume = assume or Assumptions()
    costs = layer_costs(curve)
    if costs is None:
        return None
    v0 = int(_measured(curve)[-1]["volume"])
    return {
        "from_volume": v0,
        "layers": costs,
        "assumptions": asdict(assume),
        "predictions": [predict(costs, v0, v, assume) for v in volumes],
    }


def predict_day(
    costs: dict[str, dict[str, Any]], v0: int, volume: int, cores: int, assume: Assumptions
) -> dict[str, float]:
    """One day of ``volume`` events on ``cores`` executor cores, by the model: its
    CPU-seconds; its seconds ``sum_L drv_L + exec_L / (cores * efficiency)`` (the
    driver's part runs on the driver, one core, while the executors wait); and the
    memory of the largest layer's line, what one process (driver and executors in one
    JVM, as the curve ran) would hold, without headroom."""
    executor = sum(_cpu_at(costs, v0, volume, "executor_cpu").values())
    driver = sum(_cpu_at(costs, v0, volume, "driver_cpu").values())
    memory = max(_line(c, "memory_mb").at(volume / MILLION) for c in costs.values())
    return {
        "cpu_seconds": round(executor + driver, 1),
        "seconds": round(driver + executor / (cores * assume.efficiency), 1),
        "memory_mb": round(memory),
    }


def check_against(
    curve: dict[str, Any], run: dict[str, Any], assume: Assumptions | None = None
) -> dict[str, Any] | None:
    """The model's day against a measured cluster day (``bench.deployments``): the mean
    of every day but the first (which starts the JVMs and creates the tables; for
    memory, the highest of their peaks), predicted on the cluster's cores (workers x cores);
    None without a cluster run or a curve."""
    assume = assume or Assumptions()
    costs = layer_costs(curve)
    seconds = (run.get("seconds") or {}).get("cluster") or []
    cpu = (run.get("cpu_seconds") or {}).get("cluster") or []
    memory = (run.get("peak_memory_mb") or {}).get("cluster") or []
    if costs is None or len(seconds) < 2 or not len(cpu) == len(memory) == len(seconds):
        return None
    workers = run["workers"]
    cores = int(workers["count"]) * int(workers["cores"])
    v0 = int(_measured(curve)[-1]["volume"])
    predicted = predict_day(costs, v0, int(run["volume"]), cores, assume)
    measured = {
        "seconds": rounded(mean(seconds[1:]), 1),
        "cpu_seconds": rounded(mean(cpu[1:]), 1),
        "memory_mb": round(max(memory[1:])),
    }
    return {
        "volume": int(run["volume"]),
        "cores": cores,
        "workers": workers,
        "days_measured": len(seconds) - 1,
        "predicted": predicted,
        "measured": measured,
        "measured_over_predicted": {
            key: rounded(measured[key] / predicted[key], 2) if predicted[key] else None
            for key in ("seconds", "cpu_seconds", "memory_mb")
        },
    }
