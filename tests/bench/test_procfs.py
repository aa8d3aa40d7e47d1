"""bench.procfs: CPU and peak RSS of an interval from the sampled series."""

from __future__ import annotations

import os

from bench.procfs import (
    MIB,
    RssSampler,
    machine_cpu_seconds,
    measure_window,
    named_cpu_seconds,
)


def test_a_window_interpolates_cpu_and_takes_the_peak_inside() -> None:
    samples = [(0.0, 0.0, 100 * MIB), (1.0, 2.0, 300 * MIB), (2.0, 3.0, 200 * MIB)]
    window = measure_window(samples, 0.5, 1.5)
    assert window.cpu_seconds == 1.5  # 1.0 at 0.5 s, 2.5 at 1.5 s
    assert window.peak_rss_mb == 300.0
    # no sample inside: the one before it
    assert measure_window(samples, 1.2, 1.4).peak_rss_mb == 300.0
    assert measure_window(samples, 5.0, 6.0).cpu_seconds == 0.0
    assert measure_window([], 0.0, 1.0).peak_rss_mb == 0.0


def test_the_sampler_measures_this_process() -> None:
    sampler = RssSampler(pid=os.getpid(), interval=0.05)
    with sampler.phase("work"):
        sum(i * i for i in range(200_000))
    assert sampler.peak_mb("work") > 0 and sampler.cpu_seconds["work"] >= 0
    assert len(sampler.samples) == 2
    begin, end = sampler.samples[0][0], sampler.samples[-1][0]
    assert sampler.window(begin, end).peak_rss_mb == sampler.peak_mb("work")


def test_machine_wide_and_named_cpu_read_from_proc() -> None:
    before = machine_cpu_seconds()
    sum(i * i for i in range(2_000_000))
    assert machine_cpu_seconds() > before
    assert named_cpu_seconds("no-such-process-name") == 0.0
    assert named_cpu_seconds(_own_name()) > 0


def _own_name() -> str:
    with open(f"/proc/{os.getpid()}/comm", encoding="utf-8") as fh:
        return fh.read().strip()
