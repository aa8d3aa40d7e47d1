"""Small statistics of the benchmark: growth exponents, linear fits, day-over-day ratios.

Pure functions on plain numbers; ``None`` wherever the input cannot give an answer
(too few points, a zero or negative value), never a made-up figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def fit_exponent(volumes: Sequence[float], values: Sequence[float]) -> float | None:
    """``k`` of ``value ~ c * volume^k``: least squares on ``log value = log c + k log volume``.

    Needs two or more distinct volumes, all values positive.
    """
    if len(volumes) != len(values):
        raise ValueError(f"{len(volumes)} volumes but {len(values)} values")
    if len(set(volumes)) < 2 or min(values) <= 0 or min(volumes) <= 0:
        return None
    points = [(math.log(v), math.log(t)) for v, t in zip(volumes, values, strict=True)]
    fit = linear_fit([x for x, _ in points], [y for _, y in points])
    return None if fit is None else fit[1]


def pairwise_exponent(v1: float, t1: float, v2: float, t2: float) -> float | None:
    """``k`` between two points: ``log(t2 / t1) / log(v2 / v1)``."""
    if min(v1, t1, v2, t2) <= 0 or v1 == v2:
        return None
    return math.log(t2 / t1) / math.log(v2 / v1)


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float] | None:
    """(intercept, slope) of the least-squares line through the points."""
    n = len(xs)
    if n != len(ys) or n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - slope * mx, slope


def last_over_first(values: Sequence[float]) -> float | None:
    """The last value over the first (the growth across a run of days)."""
    if len(values) < 2 or values[0] <= 0:
        return None
    return values[-1] / values[0]


def tail_over_head(values: Sequence[float], n: int = 3) -> float | None:
    """Mean of the last ``n`` over mean of the first ``n``: one noisy day cannot swing it.

    With fewer than ``2 n`` values the windows shrink to half the run each.
    """
    width = min(n, len(values) // 2)
    if width < 1:
        return None
    head, tail = mean(values[:width]), mean(values[-width:])
    if head is None or tail is None or head <= 0:
        return None
    return tail / head


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
