"""Size of each table's Delta log and the checkpoints in it, read from a local lakehouse.

File names follow the Delta protocol: ``<version>.json`` commits, ``<version>.crc``
checksums, ``<version>.checkpoint.parquet`` (classic), ``<version>.checkpoint.<part>.
<parts>.parquet`` (multi-part) and ``<version>.checkpoint.<uuid>.{json,parquet}`` (v2)
checkpoints, ``<from>.<to>.compacted.json`` log compactions, ``_last_checkpoint``; and
folders such as ``_sidecars`` and ``_staged_commits``, counted with the log.
"""

from __future__ import annotations

import json
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

# Delta writes a checkpoint every 10 commits unless the table says otherwise
DEFAULT_CHECKPOINT_INTERVAL = 10
COMMIT = re.compile(r"^(\d{20})\.json$")
CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(\.[^/]+)?\.(parquet|json)$")


def tables(root: Path) -> dict[str, Path]:
    """``layer.table`` -> table folder, for every Delta table under ``root``."""
    return {
        f"{log.parent.parent.name}.{log.parent.name}": log.parent
        for log in sorted(root.glob("*/*/_delta_log"))
        if log.is_dir()
    }


def _configuration(table: Path) -> dict[str, str] | None:
    """The table properties of the newest ``metaData`` action in the JSON commits, or
    from the table's snapshot (delta-rs) when the commits holding it are gone."""
    for commit in sorted((table / "_delta_log").glob("*.json"), reverse=True):
        if not COMMIT.match(commit.name):
            continue
        with commit.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith('{"metaData"'):
                    config = json.loads(line)["metaData"].get("configuration") or {}
                    return {str(k): str(v) for k, v in config.items()}
    try:
        from deltalake import DeltaTable

        return dict(DeltaTable(str(table)).metadata().configuration)
    except Exception:  # unreadable by delta-rs too
        return None


def checkpoint_interval(table: Path) -> tuple[int, str]:
    """The table's ``delta.checkpointInterval`` and where it comes from."""
    configuration = _configuration(table)
    if configuration is None:
        return DEFAULT_CHECKPOINT_INTERVAL, "Delta default (table metadata unreadable)"
    raw = configuration.get("delta.checkpointInterval")
    if raw is None:
        return DEFAULT_CHECKPOINT_INTERVAL, "Delta default"
    return int(raw), "table property"


def log_stats(table: Path, interval: bool = True) -> dict[str, Any]:
    """Bytes and files of ``<table>/_delta_log``, its commits and checkpoint versions."""
    log = table / "_delta_log"
    files = [p for p in log.rglob("*") if p.is_file()]
    commits = sorted(
        (int(m.group(1)), p.stat().st_size) for p in files if (m := COMMIT.match(p.name))
    )
    checkpoints = sorted(
        {int(m.group(1)) for p in files if p.parent == log and (m := CHECKPOINT.match(p.name))}
    )
    stats: dict[str, Any] = {
        "bytes": sum(p.stat().st_size for p in files),
        "files": len(files),
        "commits": len(commits),
        "last_version": commits[-1][0] if commits else None,
        "last_commit_bytes": commits[-1][1] if commits else None,
        "largest_commit_bytes": max((b for _, b in commits), default=None),
        "checkpoint_versions": checkpoints,
        "checkpoint_bytes": sum(
            p.stat().st_size for p in files if p.parent == log and CHECKPOINT.match(p.name)
        ),
    }
    if interval:
        stats["checkpoint_interval"], stats["checkpoint_interval_source"] = checkpoint_interval(
            table
        )
    return stats


def cadence(versions: list[int]) -> list[int]:
    """Commits between consecutive checkpoints (the first counted from version 0)."""
    points = [0, *versions] if versions and versions[0] != 0 else versions
    return [b - a for a, b in pairwise(points)]


def lakehouse_logs(root: Path, interval: bool = True) -> dict[str, dict[str, Any]]:
    """:func:`log_stats` of every table, with its checkpoint :func:`cadence`."""
    out = {}
    for name, table in tables(root).items():
        stats = log_stats(table, interval)
        stats["checkpoint_cadence"] = cadence(stats["checkpoint_versions"])
        out[name] = stats
    return out


def totals(logs: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Bytes and files of all the logs together."""
    return {
        "bytes": sum(int(s["bytes"]) for s in logs.values()),
        "files": sum(int(s["files"]) for s in logs.values()),
        "checkpoints": sum(len(s["checkpoint_versions"]) for s in logs.values()),
    }
