"""Which Delta version answers "as of business day D" (pure; shared by Spark and deltalake).

Every commit a run makes records its as-of date. The table "as the books closed on D"
is the last version committed before any run for a later day wrote to it: later
re-runs of D (a backfill after D+1 ran) do not rewrite what was closed on D.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def close_version(commits: Iterable[tuple[int, str | None]], as_of: date) -> int | None:
    """``commits`` are (version, as-of ISO date or None); returns the version or None."""
    day = as_of.isoformat()
    best: int | None = None
    for version, recorded in sorted(commits):
        if recorded is None:
            continue  # maintenance and table creation carry no business day
        if recorded > day:
            break
        best = version
    return best
