"""Where gold's books stand, and rewinding them to the books of an earlier day.

Gold is written day after day by the reconcile step: the run for D freezes the
matches earlier days made and starts from the close of D - 1. Re-running an earlier
day over later days' output would corrupt them, so a day D before the last
reconciled day is reprocessed (:mod:`lakehouse.reprocess`): gold is first rewound to
the books of D - 1, then D .. the last day are reconciled again in order.

A rewind is one Delta RESTORE per gold table (every table under ``<root>/gold/``) to
its version as of D - 1, committed as of D - 1 with step ``rewind``: the books before
it stay readable by version, and :func:`lakehouse.asof.close_version` answers "as of
D" from the new books.
``gold._open_items`` is rewound first: the day it is at is the day the books are at.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pyspark.sql import SparkSession

from lakehouse.asof import close_version
from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.faults import fault_point
from lakehouse.gold import open_items
from lakehouse.io import RunContext, history, is_delta_table, restore, table_path
from lakehouse.maintenance import discover_tables

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

REWIND_STEP = "rewind"


HISTORY_LIMIT = 1000  # commits of gold._open_items read to find where the books stand


@dataclass(frozen=True)
class Books:
    """``current``: the day gold's books are at (its last close, or the day a rewind
    went back to); ``last``: the latest day ever reconciled. They differ while a
    reprocessing is unfinished (it crashed, or was stopped)."""

    current: date | None
    last: date | None

    @property
    def settled(self) -> bool:
        return self.current == self.last


def gold_tables(spark: SparkSession, settings: Settings) -> list[tuple[str, str]]:
    """(qualified name, path) of every Delta table under ``<root>/gold/``: all of them
    hold books as of a day; ``gold._open_items`` comes first."""
    found = [
        (t.qualified_name, t.path)
        for t in discover_tables(spark, settings.storage.root)
        if t.layer == "gold"
    ]
    return sorted(found, key=lambda t: (t[0] != open_items.SPEC.qualified_name, t[0]))


def books(spark: SparkSession, settings: Settings) -> Books:
    path = table_path(settings, open_items.SPEC)
    if not is_delta_table(spark, path):
        return Books(None, None)
    rows = (
        history(spark, path, HISTORY_LIMIT)
        .where("as_of IS NOT NULL")
        .select("version", "as_of", "step", "userMetadata")
        .collect()
    )
    if not rows:
        return Books(None, None)
    latest = max(rows, key=lambda r: r.version)
    last = max(date.fromisoformat(r.as_of) for r in rows)
    for row in rows:
        if row.step == REWIND_STEP:
            # a rewind records the day it went back from: a crash right after it
            # still knows how far the books had gone
            was = json.loads(row.userMetadata).get("rewound_from")
            last = max(last, date.fromisoformat(was)) if was else last
    return Books(date.fromisoformat(latest.as_of), last)


def _dated(spark: SparkSession, path: str) -> tuple[list[tuple[int, str | None]], int]:
    rows = history(spark, path).select("version", "as_of").collect()
    return [(int(r.version), r.as_of) for r in rows], max(int(r.version) for r in rows)


def target_version(commits: list[tuple[int, str | None]], day: date) -> int:
    """The version holding the books as of ``day``; before any dated commit, the table
    as it was created (empty)."""
    version = close_version(commits, day)
    if version is not None:
        return version
    dated = [v for v, recorded in commits if recorded is not None]
    before = [v for v, recorded in commits if recorded is None and (not dated or v < min(dated))]
    return max(before) if before else 0


def rewind(
    spark: SparkSession,
    ctx: RunContext,
    was: date | None,
    progress: Progress | None = None,
) -> None:
    """Rewind every gold table to the books as of ``ctx.as_of`` (the day before the first
    day to reprocess); ``was`` is the last day reconciled before it."""
    say: Progress = progress or (lambda _: None)
    extra = {"rewound_from": was.isoformat()} if was else {}
    metadata = RunContext(ctx.run_id, ctx.as_of, ctx.settings, {**ctx.extra, **extra})
    for name, path in gold_tables(spark, ctx.settings):
        commits, latest = _dated(spark, path)
        version = target_version(commits, ctx.as_of)
        if version == latest:
            continue  # nothing was written after the books of that day
        try:
            restore(spark, path, version, metadata, step=REWIND_STEP)
        except LakehouseError:
            raise
        except Exception as exc:
            raise _restore_error(name, version, ctx.as_of, exc) from None
        say(f"{name}: rewound to version {version} (the books as of {ctx.as_of})")
        fault_point("rewind.after_table")


def _restore_error(name: str, version: int, day: date, exc: Exception) -> LakehouseError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "FileNotFound" in text or "does not exist" in text or "missing" in text.lower():
        return LakehouseError(
            f"cannot rewind {name} to version {version} (the books as of {day}): "
            "its data files were removed by VACUUM (older than [maintenance] "
            "audit_window_days); rebuild gold from silver instead (docs/reliability.md)"
        )
    return LakehouseError(
        f"cannot rewind {name} to version {version} (the books as of {day}): {text}"
    )
