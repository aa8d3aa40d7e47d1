"""bench.config and bench.feeds: configuration from the environment, reuse of feeds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench.config import BenchConfig, BenchEnvError
from bench.feeds import feeds_stamp, generate_feeds, reusable_feeds
from bench.run import main


def _config(tmp_path: Path, **env: str) -> BenchConfig:
    return BenchConfig.from_env({"BENCH_DIR": str(tmp_path), "BENCH_VOLUME": "1_000", **env})


def test_feeds_are_reused_only_when_asked_and_made_the_same_way(tmp_path: Path) -> None:
    cfg = _config(tmp_path, BENCH_REUSE_FEEDS="1")
    assert cfg.reuse_feeds and cfg.volume == 1000
    assert not reusable_feeds(cfg)  # nothing generated yet
    cfg.landing.mkdir(parents=True)
    (cfg.landing / ".bench_feeds.json").write_text(json.dumps(feeds_stamp(cfg)))
    assert reusable_feeds(cfg)
    assert not reusable_feeds(replace(cfg, seed=cfg.seed + 1))
    assert not reusable_feeds(replace(cfg, reuse_feeds=False))
    (cfg.landing / ".bench_feeds.json").write_text("{not json")
    assert not reusable_feeds(cfg)


def test_reusing_feeds_deletes_only_the_lakehouse(tmp_path: Path) -> None:
    cfg = _config(tmp_path, BENCH_REUSE_FEEDS="yes")
    cfg.landing.mkdir(parents=True)
    (cfg.landing / ".bench_feeds.json").write_text(json.dumps(feeds_stamp(cfg)))
    (cfg.root / "gold").mkdir(parents=True)
    assert generate_feeds(cfg) is None
    assert not cfg.root.exists() and (cfg.landing / ".bench_feeds.json").is_file()


def test_each_mode_has_its_own_defaults_and_output(tmp_path: Path) -> None:
    env = {"BENCH_DIR": str(tmp_path)}
    day = BenchConfig.from_env(env)
    curve = BenchConfig.from_env({**env, "BENCH_MODE": "curve"})
    month = BenchConfig.from_env({**env, "BENCH_MODE": "Month"})
    ten = BenchConfig.from_env({**env, "BENCH_MODE": "10m", "BENCH_WARMUP_DAYS": "0"})
    assert (day.volume, day.days, day.baseline, day.out.name) == (
        1_000_000,
        3,
        True,
        "latest.json",
    )
    assert curve.volumes == (300_000, 1_000_000, 3_000_000) and curve.days == 2
    assert not curve.baseline and curve.out.name == "curve.json"
    assert (month.volume, month.days, month.out.name) == (100_000, 30, "month.json")
    assert (ten.volume, ten.days, ten.warmup_days, ten.out.name) == (10_000_000, 1, 0, "10m.json")
    assert day.volumes == () and month.volumes == ()


def test_volumes_are_sorted_and_accept_separators(tmp_path: Path) -> None:
    cfg = _config(tmp_path, BENCH_MODE="curve", BENCH_VOLUMES="3_000_000, 300000,1000000")
    assert cfg.volumes == (300_000, 1_000_000, 3_000_000)
    assert _config(tmp_path, BENCH_VOLUME="1,500,000").volume == 1_500_000


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"BENCH_DAYS": "three"},
            "BENCH_DAYS='three' is not a whole number: set e.g. BENCH_DAYS=3",
        ),
        ({"BENCH_DAYS": "0"}, "BENCH_DAYS='0' is below 1"),
        ({"BENCH_WARMUP_DAYS": "-1"}, "BENCH_WARMUP_DAYS='-1' is below 0"),
        ({"BENCH_MODE": "week"}, "BENCH_MODE='week' is not a benchmark mode: set one of day"),
        (
            {"BENCH_MODE": "curve", "BENCH_VOLUMES": "1000,x"},
            "BENCH_VOLUMES='x' is not a whole number",
        ),
        (
            {"BENCH_MODE": "curve", "BENCH_VOLUMES": "1000,1000"},
            "needs at least two different volumes",
        ),
        ({"BENCH_START": "2026-13-01"}, "BENCH_START='2026-13-01' is not an ISO date"),
        ({"BENCH_DRIVER_MEMORY": "8 GB"}, "is not a JVM memory size: set e.g."),
        ({"BENCH_BASELINE": "maybe"}, "BENCH_BASELINE='maybe' is not a yes/no value"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_fix(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(BenchEnvError, match=message.replace("(", r"\(")) as caught:
        _config(tmp_path, **env)
    assert "\n" not in str(caught.value)


def test_the_command_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main({"BENCH_DIR": str(tmp_path), "BENCH_MODE": "curve", "BENCH_VOLUMES": "5"}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("bench: error: BENCH_VOLUMES='5' needs at least two")
