"""Which Delta version answers "as of business day D" (pure; shared by Spark and deltalake).

Every commit a run makes records its as-of date. The books as of D are the last
version committed before any run for a later day wrote to the table.

Reprocessing an earlier day D (``lakehouse run --date D`` after later days ran) first
rewinds gold to the books of D - 1 in a new commit recorded as of D - 1, then re-runs
D .. the last day in order. A commit whose as-of date is earlier than one before it
therefore starts a new **epoch** of the books: from then on "as of D" answers from the
latest epoch that reached D, while every earlier version stays readable by its number
(time travel keeps what the books said before each reprocessing).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def epochs(commits: Iterable[tuple[int, str | None]]) -> list[list[tuple[int, str]]]:
    """The dated commits, in version order, cut where the as-of date goes back (a rewind
    or the re-run of an earlier day); undated commits (maintenance, creation) are left out."""
    found: list[list[tuple[int, str]]] = []
    high: str | None = None
    for version, recorded in sorted(commits):
        if recorded is None:
            continue
        if high is None or recorded < high:
            found.append([])
            high = recorded
        found[-1].append((version, recorded))
        high = max(high, recorded)
    return found


def _close_in(epoch: list[tuple[int, str]], day: str) -> int | None:
    best: int | None = None
    for version, recorded in epoch:
        if recorded > day:
            break
        best = version
    return best


def close_version(commits: Iterable[tuple[int, str | None]], as_of: date) -> int | None:
    """``commits`` are (version, as-of ISO date or None); returns the version of the books
    as of ``as_of`` or None when no commit is that old.

    The latest epoch that reached ``as_of`` answers (its last commit before a later
    day's); when no epoch reached it (a day after every run), the latest epoch with a
    commit on or before it answers with its last such commit.
    """
    day = as_of.isoformat()
    found = epochs(commits)
    for epoch in reversed(found):
        if epoch[0][1] <= day <= max(recorded for _, recorded in epoch):
            return _close_in(epoch, day)
    for epoch in reversed(found):
        if epoch[0][1] <= day:
            return _close_in(epoch, day)
    return None
