"""``python -m bench.run`` (``make bench``, ``make bench-curve``, ``bench-month``,
``bench-10m``): the daily pipeline at volume.

``BENCH_MODE`` picks what is measured (defaults in :mod:`bench.config`):

* ``day`` (default): ``BENCH_VOLUME`` ledger events a day for ``BENCH_DAYS`` days after
  ``BENCH_WARMUP_DAYS``, then the single-process DuckDB baseline over the last day's
  silver rows, its result compared with gold -> ``bench/results/latest.json``;
* ``curve``: each of ``BENCH_VOLUMES`` as a ``day`` run in its own process, and the
  exponent ``k`` of time ~ volume^k per layer -> ``bench/results/curve.json``
  (:mod:`bench.curve`);
* ``month``: 30 days of 100,000 events in one session, every day's seconds, the last
  day over the first, the Delta logs and checkpoints -> ``bench/results/month.json``
  (:mod:`bench.month`);
* ``10m``: one day of 10,000,000 events, its seconds, peak RSS and profile ->
  ``bench/results/10m.json`` (:mod:`bench.ten_million`).

Other variables: ``BENCH_SEED`` (42), ``BENCH_START`` (first measured day, ISO,
2026-11-02), ``BENCH_DRIVER_MEMORY`` (8g), ``BENCH_DIR`` (``data/bench``: its
``landing``, ``lakehouse`` and ``truth`` folders are deleted first), ``BENCH_OUT``,
``BENCH_BASELINE`` (run the DuckDB baseline, on in the ``day`` mode only),
``BENCH_EVENT_LOG`` (Spark's event log for shuffle and spill per layer, on),
``BENCH_REUSE_FEEDS`` (``1`` keeps feeds generated the same way; for profiling loops).

Steady state: a day's feeds carry the partner settlements and bank lines of earlier
days (settlement lags), so the first generated day is lighter than any later one, and
the generator's last day is heavier (every lag that would fall after it is delivered
on it). The benchmark therefore generates ``warm-up + days + 1`` days, runs the warm-up
days first (reported apart), measures the next ``days`` days, and never runs the last
generated day: every measured day receives the same kind of inflow.

Each day is timed per layer (ingest, refine, reconcile); the process tree (this
process and the Spark JVM) is sampled from ``/proc`` every 0.5 s for RSS and CPU, so
each layer gets its CPU seconds and peak RSS; Spark's event log gives each layer's
shuffle, spill and executor CPU; the pipeline's progress messages are timestamped into
``profile`` so the time inside a layer can be attributed to a file, a table or a MERGE.

This is a benchmark, not a test: the targets are reported, never asserted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from bench.config import BenchConfig, BenchEnvError
from bench.days import bench_settings, machine_facts, run_baseline, run_pipeline, source_commit
from bench.feeds import generate_feeds
from bench.procfs import RssSampler
from bench.report import Measured, build_report, print_report, write_report
from bench.tables import print_summary


def measure(cfg: BenchConfig) -> dict[str, Any]:
    """Generate, run the days in one session (and the baseline when asked); the report."""
    from bench.month import LogGrowth, month_report
    from bench.ten_million import ten_million_report

    machine = machine_facts()
    sampler = RssSampler()
    sampler.start()
    growth = LogGrowth(cfg.root) if cfg.mode == "month" else None
    try:
        with sampler.phase("generate"):
            generate_seconds = generate_feeds(cfg)
        if generate_seconds is None:
            print(f"  feeds reused from {cfg.landing} (BENCH_REUSE_FEEDS)", flush=True)
        else:
            print(f"  feeds generated in {generate_seconds:.1f} s (not timed)", flush=True)
        settings = bench_settings(cfg)
        pipeline = run_pipeline(cfg, settings, sampler, after_day=growth)
        baseline = None
        if cfg.baseline:
            print("  DuckDB baseline ...", flush=True)
            baseline = run_baseline(cfg, settings, sampler)
    finally:
        sampler.stop()
    measured = Measured(cfg, settings, generate_seconds, pipeline, sampler, machine)
    if cfg.mode == "day":
        return build_report(measured, baseline)
    report = (
        month_report(measured, growth.per_day)
        if growth is not None
        else ten_million_report(measured)
    )
    return {**report, "duckdb": baseline} if baseline else report


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    try:
        cfg = BenchConfig.from_env(os.environ if env is None else env)
    except BenchEnvError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    if cfg.mode == "curve":
        from bench.curve import run_curve

        volumes = ", ".join(f"{v:,}" for v in cfg.volumes)
        print(f"bench curve: {volumes} ledger events/day, {cfg.days} days each", flush=True)
        extra = {"source": source_commit(), "machine": machine_facts()}
        report = run_curve(cfg, extra, lambda doc: write_report(doc, cfg.out))
        print_summary(report)
    else:
        print(
            f"bench {cfg.mode}: {cfg.volume:,} ledger events/day x {cfg.days} days "
            f"(+{cfg.warmup_days} warm-up), seed {cfg.seed}, in {cfg.bench_dir}",
            flush=True,
        )
        report = measure(cfg)
        write_report(report, cfg.out)
        (print_report if cfg.mode == "day" else print_summary)(report)
    print(f"written {cfg.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
