from __future__ import annotations

from datetime import date

from lakehouse.asof import close_version, epochs

D1, D2, D3, D4 = (date(2026, 11, d) for d in (1, 2, 3, 4))


def _h(*days: str | None) -> list[tuple[int, str | None]]:
    return [(v, None if d is None else f"2026-11-0{d}") for v, d in enumerate(days)]


def test_last_version_before_a_later_day_wrote():
    history = _h(None, "2", "2", "3", None)
    assert close_version(history, D2) == 2
    assert close_version(history, D3) == 3
    assert close_version(history, D4) == 3  # a day after every run: the latest books
    assert close_version(history, D1) is None
    assert close_version(list(reversed(history)), D2) == 2


def test_a_reprocessing_starts_new_books_from_the_day_it_rewound_to():
    # days 1-4, then a rewind to the books of day 1 (recorded as of day 1) and a re-run
    # of days 2-4: each day answers from the re-run, the old versions stay readable
    history = _h("1", "2", "3", "4", "1", "2", "3", "4")
    assert [[v for v, _ in e] for e in epochs(history)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [close_version(history, d) for d in (D1, D2, D3, D4)] == [4, 5, 6, 7]


def test_an_unfinished_reprocessing_answers_only_the_days_it_reached():
    history = _h("1", "2", "3", "4", None, "1", "2")  # crashed during the re-run of day 3
    assert close_version(history, D2) == 6
    assert close_version(history, D1) == 5
    # day 3 and 4 of the new books do not exist yet: the books that did say so answer
    assert close_version(history, D3) == 2
    assert close_version(history, D4) == 3
    assert close_version(history, date(2026, 11, 9)) == 6  # later than all: the latest


def test_a_day_never_run_answers_with_the_day_before():
    history = _h("1", "2", "4")
    assert close_version(history, D3) == 1
