"""bench.stats: growth exponents, linear fits and day-over-day ratios."""

from __future__ import annotations

import math

import pytest

from bench.stats import (
    fit_exponent,
    last_over_first,
    linear_fit,
    pairwise_exponent,
    tail_over_head,
)


@pytest.mark.parametrize("k", [0.5, 1.0, 1.3, 2.0])
def test_the_exponent_of_an_exact_power_law_is_recovered(k: float) -> None:
    volumes = [300_000, 1_000_000, 3_000_000]
    seconds = [7.0 * (v / 1e6) ** k for v in volumes]
    assert fit_exponent(volumes, seconds) == pytest.approx(k)
    assert pairwise_exponent(volumes[1], seconds[1], volumes[2], seconds[2]) == pytest.approx(k)


def test_the_fit_is_least_squares_in_log_log() -> None:
    volumes, seconds = [1, 10, 100], [1.0, 20.0, 100.0]
    xs, ys = [math.log(v) for v in volumes], [math.log(s) for s in seconds]
    mx, my = sum(xs) / 3, sum(ys) / 3
    expected = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    assert fit_exponent(volumes, seconds) == pytest.approx(expected)
    # the last pair alone grows slower than the fit over all points
    assert pairwise_exponent(10, 20.0, 100, 100.0) == pytest.approx(math.log10(5))


def test_no_exponent_without_two_volumes_or_with_a_zero_time() -> None:
    assert fit_exponent([1000], [5.0]) is None
    assert fit_exponent([1000, 1000], [5.0, 6.0]) is None
    assert fit_exponent([1000, 2000], [0.0, 6.0]) is None
    assert pairwise_exponent(1000, 1.0, 1000, 2.0) is None
    with pytest.raises(ValueError, match="2 volumes but 1 values"):
        fit_exponent([1, 2], [1.0])


def test_linear_fit() -> None:
    assert linear_fit([0.3, 1.0, 3.0], [1100.0, 1800.0, 3800.0]) == pytest.approx((800.0, 1000.0))
    assert linear_fit([1.0], [2.0]) is None
    assert linear_fit([1.0, 1.0], [2.0, 3.0]) is None


def test_last_over_first_and_its_noise_guard() -> None:
    days = [10.0, 11.0, 9.0, 10.0, 10.5, 30.0]  # one noisy last day
    assert last_over_first(days) == pytest.approx(3.0)
    assert tail_over_head(days, 3) == pytest.approx((10 + 10.5 + 30) / (10 + 11 + 9))
    assert tail_over_head([10.0, 12.0, 14.0], 3) == pytest.approx(1.4)  # windows of 1
    assert tail_over_head([10.0], 3) is None
    assert last_over_first([10.0]) is None
    assert last_over_first([0.0, 1.0]) is None
