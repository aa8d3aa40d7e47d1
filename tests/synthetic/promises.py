"""What each noise kind promises about a noisy value and the clean reference it came from.

The matching rules rely on these promises; docs/synthetic.md states them for users.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lakehouse.synthetic import noise

REF = re.compile(r"(RP|RF|DS)-[0-9]{8}-[0-9]{8}")
TOKENS = re.compile(r"[A-Za-z0-9_-]+")


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _is_token(ref: str, text: str) -> bool:
    """``ref`` is a whole token of ``text`` (tokens: runs of letters, digits, _ and -)."""
    return ref in TOKENS.findall(text)


def _embedded(value: str, ref: str) -> bool:
    return value.strip() != ref and _is_token(ref, value) and _extract(value) == ref


def _extract(value: str) -> str | None:
    found = REF.search(value)
    return found.group(0) if found else None


# kind -> does ``value`` keep that kind's promise about the clean ``ref``?
PROMISES: dict[str, Callable[[str, str], bool]] = {
    "embed": _embedded,
    "case": lambda v, r: v != r and v.upper() == r,
    "pad": lambda v, r: v != r and len(v) == noise.PAD_WIDTH and v.strip() == r,
    "truncate": lambda v, r: len(v) == noise.TRUNCATE_WIDTH and r.startswith(v),
    "affix": lambda v, r: v != r and _extract(v) == r and not _is_token(r, v),
    "typo": lambda v, r: (
        abs(len(v) - len(r)) <= 1
        and REF.fullmatch(v) is None
        and v[:3] == r[:3]
        and levenshtein(v, r) == 1
    ),
}
