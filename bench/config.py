"""What a benchmark run does, from the ``BENCH_*`` environment variables.

``BENCH_MODE`` picks the mode; each mode has its own defaults for volume, days, warm-up,
output and baseline, and every ``BENCH_*`` variable overrides them:

=========  ===============================  ====  =======  ===================  ========
mode       volume                           days  warm-up  writes               DuckDB
=========  ===============================  ====  =======  ===================  ========
``day``    1,000,000                        3     1        ``latest.json``      yes
``curve``  ``BENCH_VOLUMES`` 300k, 1M, 3M   2     1        ``curve.json``       no
``month``  100,000                          30    1        ``month.json``       no
``10m``    10,000,000                       1     1        ``10m.json``         no
=========  ===============================  ====  =======  ===================  ========

A value that cannot be used raises :class:`BenchEnvError`, whose message is one line
naming the variable, the value and what to set instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lakehouse.config import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results"
DEFAULT_SEED = 42
DEFAULT_START = date(2026, 11, 2)
DEFAULT_DIR = "data/bench"
# 8 GB: the machine has 24 GiB and a 4 GiB heap evicts the reconcile window at 1M a day
DEFAULT_DRIVER_MEMORY = "8g"
LAYERS = ("ingest", "refine", "reconcile")
MEMORY = re.compile(r"^[1-9][0-9]*[kmgt]?$", re.IGNORECASE)


class BenchEnvError(ValueError):
    """A ``BENCH_*`` variable holds a value the benchmark cannot use."""


@dataclass(frozen=True)
class ModeDefaults:
    volume: int
    days: int
    warmup_days: int
    out: str
    baseline: bool
    volumes: tuple[int, ...] = ()


MODES: dict[str, ModeDefaults] = {
    "day": ModeDefaults(1_000_000, 3, 1, "latest.json", baseline=True),
    "curve": ModeDefaults(
        1_000_000, 2, 1, "curve.json", baseline=False, volumes=(300_000, 1_000_000, 3_000_000)
    ),
    "month": ModeDefaults(100_000, 30, 1, "month.json", baseline=False),
    "10m": ModeDefaults(10_000_000, 1, 1, "10m.json", baseline=False),
}


@dataclass(frozen=True)
class BenchConfig:
    """One benchmark run; ``volumes`` is set in the ``curve`` mode only."""

    volume: int
    days: int
    seed: int
    start: date
    bench_dir: Path
    out: Path
    warmup_days: int = 1
    driver_memory: str = DEFAULT_DRIVER_MEMORY
    reuse_feeds: bool = False
    mode: str = "day"
    volumes: tuple[int, ...] = ()
    baseline: bool = True
    event_log: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BenchConfig:
        mode = (env.get("BENCH_MODE") or "day").strip().lower()
        if mode not in MODES:
            raise BenchEnvError(
                f"BENCH_MODE={env['BENCH_MODE']!r} is not a benchmark mode: "
                f"set one of {', '.join(MODES)}"
            )
        defaults = MODES[mode]
        bench_dir = _path(env.get("BENCH_DIR") or DEFAULT_DIR)
        return cls(
            mode=mode,
            volume=_integer(env, "BENCH_VOLUME", defaults.volume),
            volumes=_volumes(env, defaults.volumes) if mode == "curve" else (),
            days=_integer(env, "BENCH_DAYS", defaults.days),
            seed=_integer(env, "BENCH_SEED", DEFAULT_SEED, minimum=0),
            start=_date(env, "BENCH_START", DEFAULT_START),
            bench_dir=bench_dir,
            out=_path(env.get("BENCH_OUT") or str(RESULTS / defaults.out)),
            warmup_days=_integer(env, "BENCH_WARMUP_DAYS", defaults.warmup_days, minimum=0),
            driver_memory=_memory(env, "BENCH_DRIVER_MEMORY", DEFAULT_DRIVER_MEMORY),
            reuse_feeds=_flag(env, "BENCH_REUSE_FEEDS", False),
            baseline=_flag(env, "BENCH_BASELINE", defaults.baseline),
            event_log=_flag(env, "BENCH_EVENT_LOG", True),
        )

    @property
    def landing(self) -> Path:
        return self.bench_dir / "landing"

    @property
    def root(self) -> Path:
        return self.bench_dir / "lakehouse"

    @property
    def dates(self) -> list[date]:
        """The measured days."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    @property
    def warmup_dates(self) -> list[date]:
        return [self.start - timedelta(days=i) for i in range(self.warmup_days, 0, -1)]

    @property
    def generated_start(self) -> date:
        return self.start - timedelta(days=self.warmup_days)

    @property
    def generated_days(self) -> int:
        """Warm-up, measured, and one more day that absorbs the late deliveries."""
        return self.warmup_days + self.days + 1


def _path(raw: str) -> Path:
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def _number(name: str, raw: str, minimum: int, example: str) -> int:
    cleaned = raw.replace("_", "").replace(",", "").strip()
    try:
        value = int(cleaned)
    except ValueError:
        raise BenchEnvError(
            f"{name}={raw!r} is not a whole number: set e.g. {name}={example}"
        ) from None
    if value < minimum:
        raise BenchEnvError(f"{name}={raw!r} is below {minimum}: set e.g. {name}={example}")
    return value


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    return _number(name, raw, minimum, str(max(default, minimum)))


def _volumes(env: Mapping[str, str], default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get("BENCH_VOLUMES", "").strip()
    if not raw:
        return default
    example = "300000,1000000,3000000"
    values = [_number("BENCH_VOLUMES", part, 1, example) for part in raw.split(",")]
    if len(set(values)) < 2:
        raise BenchEnvError(
            f"BENCH_VOLUMES={raw!r} needs at least two different volumes to fit a curve: "
            f"set e.g. BENCH_VOLUMES={example}"
        )
    return tuple(sorted(set(values)))


def _date(env: Mapping[str, str], name: str, default: date) -> date:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BenchEnvError(
            f"{name}={raw!r} is not an ISO date: set e.g. {name}={default.isoformat()}"
        ) from None


def _memory(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not MEMORY.match(raw):
        raise BenchEnvError(
            f"{name}={raw!r} is not a JVM memory size: set e.g. {name}=8g or {name}=1500m"
        )
    return raw


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise BenchEnvError(f"{name}={env[name]!r} is not a yes/no value: set {name}=1 or {name}=0")


# What the issue asks of this machine (2 cores, 24 GiB); reported, never asserted.
TARGETS: dict[str, float] = {
    "day_seconds": 150.0,  # 1,000,000 events a day end to end
    "last_over_first_3_days": 1.25,
    "duckdb_ratio": 6.0,  # reconcile over the DuckDB baseline on the same rows
    "k": 1.05,  # time ~ volume^k for every layer between the two largest curve volumes
    "month_last_over_first": 1.2,  # day 30 over day 1
    "ten_million_rss_mb": 24 * 1024.0,
}
