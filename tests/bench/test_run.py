"""bench.run: configuration and the reuse of generated feeds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench.run import BenchConfig, feeds_stamp, generate_feeds, reusable_feeds


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


def test_a_bad_number_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="BENCH_DAYS must be an integer"):
        _config(tmp_path, BENCH_DAYS="three")
