"""Idempotent days: what running business days D1..D2 does, given where gold stands.

* A day after the last reconciled day (or the last day again) runs in full: ingest,
  refine, reconcile.
* A day D before the last reconciled day LAST is **reprocessed**: every file that
  arrived by LAST and is not in bronze yet is ingested and refined, gold is rewound to
  the books of D - 1 (:func:`lakehouse.gold.books.rewind`, a new commit: the books
  before it stay readable by version), and D .. LAST are reconciled again in order,
  each from silver as known by its day (:mod:`lakehouse.gold.snapshot`). The end state
  equals a clean run of all days on the same inputs.
* A reprocessing that did not finish (gold's books stand before LAST) is finished by
  the next run, from the day after the books' day or the requested day if earlier.
* Silver refined past gold's books (gold deleted to rebuild it, or ``--step refine``
  run ahead) counts as reconciled: those days are reconciled from silver as known by
  each of them, never refined again as of an earlier day.

:func:`plan` is the pure decision; :func:`lakehouse.pipeline.run_days` carries it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from lakehouse.errors import LakehouseError
from lakehouse.gold.books import Books


def days_between(start: date, end: date) -> list[date]:
    if end < start:
        raise LakehouseError(
            f"--end {end} is before --start {start}: give the first day as --start and the "
            "last as --end"
        )
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass(frozen=True)
class Plan:
    """``replay`` (reconciled again, after one ingest and refine as of its last day and a
    rewind of gold to the books of ``rewind_to``), then ``forward`` (run in full)."""

    requested: tuple[date, date]
    rewind_to: date | None = None
    replay: list[date] = field(default_factory=list)
    forward: list[date] = field(default_factory=list)
    last: date | None = None

    @property
    def days(self) -> list[date]:
        return [*self.replay, *self.forward]

    def describe(self) -> str:
        """One line saying what will run and why (empty for a plain run)."""
        if not self.replay:
            return ""
        first, through = self.replay[0], self.replay[-1]
        start, end = self.requested
        asked = f"{start}" if start == end else f"{start}..{end}"
        return (
            f"{asked}: gold's books run to {self.last}, so {first}..{through} are reconciled "
            f"again in order ({len(self.replay)} day(s)) after rewinding gold to the books of "
            f"{self.rewind_to}; the books before stay readable by version (lakehouse history)"
        )


def plan(books: Books, refined: date | None, start: date, end: date) -> Plan:
    """What running ``start`` .. ``end`` does when gold stands at ``books`` and silver is
    refined through ``refined`` (the latest day refine ran for)."""
    requested = days_between(start, end)
    high = max((d for d in (books.last, refined) if d is not None), default=None)
    if high is None:
        return Plan((start, end), forward=requested)
    again = start == high == books.last  # the last day again: a plain run
    if books.settled and (start > high or again):
        return Plan((start, end), forward=requested, last=high)
    first = start
    if not books.settled and books.current is not None:
        first = min(start, books.current + timedelta(days=1))
    return Plan(
        (start, end),
        rewind_to=first - timedelta(days=1),
        replay=days_between(first, high),
        forward=[d for d in requested if d > high],
        last=high,
    )
