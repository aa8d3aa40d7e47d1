"""Data-quality expectations declared next to each silver table.

An :class:`Expectation` is a name, a SQL condition every good row satisfies and an
action: ``warn`` (count only), ``drop`` (row goes to ``<table>_quarantine`` with the
names of the rules it failed) or ``fail`` (stop the step before anything is written,
naming the rule and how many rows broke it). A NULL condition counts as failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.errors import ExpectationFailed

Action = Literal["warn", "drop", "fail"]
FAILED_RULES = "_failed_rules"


@dataclass(frozen=True)
class Expectation:
    name: str
    condition: str
    action: Action


@dataclass(frozen=True)
class QualityResult:
    valid: DataFrame
    quarantined: DataFrame
    failed_counts: dict[str, int]
    total_rows: int
    cached: DataFrame

    def release(self) -> None:
        """Drop the cached evaluation once the caller has written what it needed."""
        self.cached.unpersist()


def _failed_rules(expectations: list[Expectation], actions: tuple[str, ...]) -> Column:
    checks = [
        F.when(~F.coalesce(F.expr(e.condition), F.lit(False)), F.lit(e.name))
        for e in expectations
        if e.action in actions
    ]
    if not checks:
        return F.array().cast("array<string>")
    return F.filter(F.array(*checks), lambda x: x.isNotNull())


def apply_expectations(df: DataFrame, table: str, expectations: list[Expectation]) -> QualityResult:
    """Evaluate all rules in one pass; see the module docstring for the actions."""
    flagged = df.withColumn(FAILED_RULES, _failed_rules(expectations, ("warn", "drop", "fail")))
    flagged = flagged.cache()
    aggregates = [F.count(F.lit(1)).alias("__total")] + [
        F.sum(F.array_contains(FAILED_RULES, e.name).cast("int")).alias(e.name)
        for e in expectations
    ]
    row = flagged.agg(*aggregates).collect()[0]
    counts = {e.name: int(row[e.name] or 0) for e in expectations}
    failing = [e for e in expectations if e.action == "fail" and counts[e.name] > 0]
    if failing:
        flagged.unpersist()
        detail = "; ".join(
            f"rule {e.name!r} ({e.condition}) failed on {counts[e.name]} rows" for e in failing
        )
        raise ExpectationFailed(
            f"silver.{table}: {detail}; nothing was written. Fix the "
            "source rows (see bronze) or change the rule's action."
        )
    dropped = _failed_rules(expectations, ("drop",))
    is_bad = F.size(dropped) > 0
    valid = flagged.where(~is_bad).drop(FAILED_RULES)
    quarantined = flagged.where(is_bad).withColumn(FAILED_RULES, dropped)
    return QualityResult(valid, quarantined, counts, int(row["__total"]), flagged)
