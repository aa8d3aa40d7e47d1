"""The benchmark's feeds: generated in a child process, or reused when made the same way."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.config import BenchConfig
from lakehouse.config import REPO_ROOT


def feeds_stamp(cfg: BenchConfig) -> dict[str, Any]:
    """What the generated feeds depend on."""
    return {
        "volume": cfg.volume,
        "days": cfg.generated_days,
        "seed": cfg.seed,
        "start": cfg.generated_start.isoformat(),
    }


def _stamp_path(cfg: BenchConfig) -> Path:
    return cfg.landing / ".bench_feeds.json"


def reusable_feeds(cfg: BenchConfig) -> bool:
    """True when ``BENCH_REUSE_FEEDS`` is set and the feeds there were made the same way."""
    if not cfg.reuse_feeds or not _stamp_path(cfg).is_file():
        return False
    try:
        return bool(json.loads(_stamp_path(cfg).read_text()) == feeds_stamp(cfg))
    except ValueError:
        return False


def generate_feeds(cfg: BenchConfig) -> float | None:
    """Start from an empty lakehouse and write the feeds (``lakehouse generate``).

    Returns the seconds it took, or None when the feeds were reused.

    Runs in a child process so the generator's memory does not count as the pipeline's.
    """
    if reusable_feeds(cfg):
        if cfg.root.exists():
            shutil.rmtree(cfg.root)
        return None
    for folder in (cfg.landing, cfg.root, cfg.bench_dir / "truth"):  # only what we write
        if folder.exists():
            shutil.rmtree(folder)
    cfg.landing.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "lakehouse.cli",
        "generate",
        f"--seed={cfg.seed}",
        f"--start={cfg.generated_start.isoformat()}",
        f"--days={cfg.generated_days}",
        f"--volume={cfg.volume}",
        f"--out={cfg.landing}",
        f"--truth={cfg.bench_dir / 'truth'}",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"feed generation failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    seconds = time.perf_counter() - start
    _stamp_path(cfg).write_text(json.dumps(feeds_stamp(cfg)))
    return seconds
