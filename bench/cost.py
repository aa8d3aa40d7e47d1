"""The cost model: per layer CPU-seconds, memory and shuffle per million events, from
``curve.json``, and the cluster they predict at larger volumes.

For each layer ``L``, with ``V0`` the largest volume the curve measured:

* ``cpu_L(V0)``: mean CPU-seconds of the layer over the measured days (the whole
  process tree, driver and executors, from ``/proc``); per million events
  ``cpu_L(V0) / (V0 / 1e6)``; of which the driver's ``drv_L(V0) = cpu_L(V0) -
  exec_L(V0)``, ``exec_L`` the CPU time of Spark's tasks in the layer (event log): the
  planning, Delta log and Python work that does not spread over executors;
* growth: ``cpu_L(V) = cpu_L(V0) * (V / V0) ** max(1, kcpu_L)``, ``kcpu_L`` the fitted
  exponent of CPU-seconds against volume over all curve volumes. Work is taken to grow
  at least linearly: an exponent below 1 at small volumes measures fixed costs that a
  larger volume dilutes, not a saving that continues;
* memory: the least-squares line ``rss_L(v) = base_L + mb_L * v / 1e6`` through the
  layer's peak RSS at each volume: ``mb_L`` is the MB per million events, ``base_L`` what
  a process holds at no volume (the JVM, Python, libraries);
* shuffle: Spark's shuffle bytes written in the layer at ``V0`` per million events,
  taken as linear.

A cluster for ``V`` events a day, under :class:`Assumptions`: the day's task CPU
must fit in ``window_seconds`` at ``efficiency`` of the executors' cores (layers run
one after the other, each using every core), and the driver's CPU in the same window
on the driver's cores, both growing as ``cpu_L``:
``cores = ceil(sum_L (cpu_L(V) - drv_L(V)) / (window_seconds * efficiency))``,
``driver_cores = ceil(sum_L drv_L(V) / (window_seconds * efficiency))``,
``executors = ceil(cores / executor_cores)``, and each executor holds ``base_L`` plus
its share of the volume's working set, with ``headroom``:
``executor_memory = headroom * max_L(base_L + mb_L * V / 1e6 / executors)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from bench.config import LAYERS
from bench.stats import fit_exponent, linear_fit, rounded

PREDICT_VOLUMES = (10_000_000, 100_000_000)
MILLION = 1_000_000


@dataclass(frozen=True)
class Assumptions:
    window_seconds: float = 3600.0  # a day's batch finishes within an hour
    efficiency: float = 0.7  # share of the cluster's core-seconds that does the work
    executor_cores: int = 4
    headroom: float = 1.5  # memory safety factor over the fitted working set


def _measured(curve: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        (e for e in curve.get("volumes", []) if "cpu_seconds" in e),
        key=lambda e: int(e["volume"]),
    )


def layer_costs(curve: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """Per layer: CPU-s, MB and shuffle bytes per million events and the fitted terms."""
    entries = _measured(curve)
    if not entries:
        return None
    top = entries[-1]
    v0 = float(top["volume"])
    millions = [float(e["volume"]) / MILLION for e in entries]
    out: dict[str, dict[str, Any]] = {}
    for layer in LAYERS:
        cpu = [float(e["cpu_seconds"][layer]) for e in entries]
        rss = [float(e["layer_peak_rss_mb"][layer]) for e in entries]
        k = fit_exponent([float(e["volume"]) for e in entries], cpu) if len(entries) > 1 else None
        fit = linear_fit(millions, rss)
        tasks = (top.get("spark_tasks") or {}).get(layer, {})
        shuffle, executor = tasks.get("shuffle_write_bytes"), tasks.get("executor_cpu_seconds")
        # without task metrics (no event log) all of the work counts as the executors'
        driver = None if executor is None else max(cpu[-1] - float(executor), 0.0)
        out[layer] = {
            "cpu_seconds_at_v0": cpu[-1],
            "cpu_seconds_per_million": rounded(cpu[-1] / (v0 / MILLION), 2),
            "driver_cpu_seconds_at_v0": rounded(driver, 2),
            "driver_share": rounded(driver / cpu[-1], 2)
            if driver is not None and cpu[-1]
            else None,
            "k_cpu": rounded(k),
            "growth_exponent": rounded(max(1.0, k if k is not None else 1.0)),
            "base_mb": rounded(fit[0], 1) if fit and fit[1] > 0 else None,
            "mb_per_million": rounded(fit[1], 1) if fit and fit[1] > 0 else None,
            "shuffle_bytes_per_million": None
            if shuffle is None
            else round(float(shuffle) / (v0 / MILLION)),
        }
    return out


def predict(
    costs: dict[str, dict[str, Any]], v0: int, volume: int, assume: Assumptions
) -> dict[str, Any]:
    """Cores, executors, executor memory and driver cores for ``volume`` events a day."""
    scale = {layer: (volume / v0) ** c["growth_exponent"] for layer, c in costs.items()}
    cpu = {layer: c["cpu_seconds_at_v0"] * scale[layer] for layer, c in costs.items()}
    driver = sum((c["driver_cpu_seconds_at_v0"] or 0.0) * scale[k] for k, c in costs.items())
    total = sum(cpu.values())
    useful = assume.window_seconds * assume.efficiency
    cores = max(1, math.ceil((total - driver) / useful))
    executors = max(1, math.ceil(cores / assume.executor_cores))
    per_executor = [
        c["base_mb"] + c["mb_per_million"] * volume / MILLION / executors
        for c in costs.values()
        if c["base_mb"] is not None and c["mb_per_million"] is not None
    ]
    memory = assume.headroom * max(per_executor) if per_executor else None
    shuffle = [c["shuffle_bytes_per_million"] for c in costs.values()]
    return {
        "volume": volume,
        "cpu_seconds": {k: round(v) for k, v in cpu.items()},
        "cpu_seconds_total": round(total),
        "driver_cpu_seconds": round(driver),
        "driver_cores": max(1, math.ceil(driver / useful)),
        "cores": cores,
        "executors": executors,
        "executor_cores": assume.executor_cores,
        "executor_memory_gb": None if memory is None else math.ceil(memory / 1024),
        "shuffle_gb": None
        if None in shuffle
        else round(sum(int(s) for s in shuffle) * volume / MILLION / 1024**3, 1),
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
