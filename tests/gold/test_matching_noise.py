"""The default rules survive every kind of reference noise (Spark matcher): each noisy
pair matches by the rule its noise calls for, near-misses of other items do not, and
noisy pairs with a break are suggested with that break (tests/noise_cases.py)."""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.gold.items import leg_items
from lakehouse.gold.matching import match_leg
from lakehouse.gold.rules import load_legs
from tests.noise_cases import CASES, TABLE_COLUMNS, Case, Expected, made_for, records

SPARK_TYPES = {"string": "string", "money": "decimal(18,2)", "date": "date", "bool": "boolean"}


def _silver(spark: Any) -> dict[str, Any]:
    frames = {}
    for table, columns in TABLE_COLUMNS.items():
        ddl = ", ".join(f"`{name}` {SPARK_TYPES[kind]}" for name, kind in columns.items())
        rows = [tuple(r.values()) for r in records(table)]
        frames[table] = spark.createDataFrame(rows, ddl)
    return frames


@pytest.fixture(scope="module")
def made(spark: Any) -> set[Expected]:
    silver = _silver(spark)
    found: set[Expected] = set()
    for leg in load_legs().values():
        left, right = leg_items(leg, silver)
        for m in match_leg(leg, left, right).matches.collect():
            found.add(
                (m.leg, m.rule, tuple(m.left_ids), tuple(m.right_ids), m.status, m.reason_code)
            )
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_noisy_pair_matches_and_near_miss_does_not(case: Case, made: set[Expected]) -> None:
    assert made_for(case, made) == case.matches
    for _, item in case.unmatched:
        assert not [m for m in made if item in (*m[2], *m[3])], f"{item} must stay unmatched"


def test_every_noise_kind_is_covered() -> None:
    kinds = {c.kind for c in CASES}
    assert kinds == {"embed", "case", "pad", "truncate", "affix", "typo", "narrative"}
