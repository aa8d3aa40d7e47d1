"""Declarative matching rules, loaded from ``conf/rules.toml`` and validated at start
(keys, values, and the SQL: :mod:`lakehouse.gold.rules_sql`)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lakehouse.config import CONF_DIR
from lakehouse.constants import LEGS
from lakehouse.errors import ConfigError
from lakehouse.gold.rules_sql import check_legs

Strategy = Literal["one_to_one", "many_to_one", "one_to_many"]
ReferenceTest = Literal["equals", "extract", "contains", "prefix", "similarity", "none"]
Outcome = Literal["MATCHED", "PARTIAL", "SUGGESTED"]
REFERENCE_TESTS = ("equals", "extract", "contains", "prefix", "similarity", "none")
OUTCOMES = ("MATCHED", "PARTIAL", "SUGGESTED")
# reference tests that find a reference inexactly: a rule using one books a pair only
# when its amount is exact, and never books a break (it suggests it)
FUZZY_TESTS = ("extract", "prefix", "similarity")
# tests that are no join key of their own: the rule needs an equality key or a band
UNBLOCKED_TESTS = ("prefix", "similarity", "none")
SIDES = ("ledger", "partner", "partner_payout", "bank")


@dataclass(frozen=True)
class Rule:
    name: str
    strategy: Strategy
    equal: tuple[tuple[str, str], ...]
    reference: ReferenceTest
    date_min: int
    date_max: int
    tolerance_abs: float = 0.0
    tolerance_pct: float = 0.0
    similarity: float = 0.85
    currency: bool = True
    left_amount: str = "amount"
    right_amount: str = "amount"
    group_key: str = ""
    max_fee_pct: float | None = None
    outcome: Outcome = "MATCHED"
    pattern: str = ""
    left_pattern: str = ""
    min_prefix: int = 12
    amount_within: float = 0.0

    @property
    def fuzzy(self) -> bool:
        """Whether the reference test is inexact (the rule is a fallback)."""
        return self.reference in FUZZY_TESTS


@dataclass(frozen=True)
class Returns:
    """Right-side items that reverse an earlier left item (NACHA returns).

    ``filter`` is SQL on the right side's silver table. A return pairs with the left
    item whose reference equals its own, whose amount is its opposite and whose date
    is ``date_min``..``date_max`` days before it.
    """

    name: str
    filter: str
    date_min: int = 0
    date_max: int = 20
    reason_code: str = "RETURNED"


@dataclass(frozen=True)
class Leg:
    name: str
    description: str
    left: str
    right: str
    left_filter: str
    right_filter: str
    pending_days: int
    pending_days_by_partner: dict[str, int] = field(default_factory=dict)
    right_unmatched_reason: str = "MISSING_COUNTERPART"
    rules: tuple[Rule, ...] = ()
    returns: Returns | None = None

    @property
    def right_items_filter(self) -> str:
        """SQL on the right side's silver table: its items, returns excluded."""
        if self.returns is None:
            return self.right_filter
        return f"({self.right_filter}) AND NOT coalesce(({self.returns.filter}), false)"

    @property
    def return_items_filter(self) -> str | None:
        """SQL on the right side's silver table: the returns, or None without any."""
        if self.returns is None:
            return None
        return f"({self.right_filter}) AND ({self.returns.filter})"


def _reject_unknown_keys(where: str, raw: dict[str, Any], known: set[str]) -> None:
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(known)}")


def _rule(leg: str, index: int, raw: dict[str, Any], source: Path) -> Rule:
    where = f"{source} [[legs.{leg}.rules]] #{index + 1}"
    _reject_unknown_keys(where, raw, set(Rule.__dataclass_fields__))
    try:
        rule = Rule(
            **{
                **raw,
                "equal": tuple(tuple(pair) for pair in raw.get("equal", [])),
            }
        )
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if rule.strategy not in ("one_to_one", "many_to_one", "one_to_many"):
        raise ConfigError(
            f"{where}: strategy {rule.strategy!r} is not one_to_one, many_to_one or one_to_many"
        )
    if rule.reference not in REFERENCE_TESTS:
        raise ConfigError(
            f"{where}: reference {rule.reference!r} is not one of {', '.join(REFERENCE_TESTS)}"
        )
    if rule.outcome not in OUTCOMES:
        raise ConfigError(f"{where}: outcome must be MATCHED, PARTIAL or SUGGESTED")
    if rule.strategy != "one_to_one" and not rule.group_key:
        raise ConfigError(f"{where}: strategy {rule.strategy} needs a group_key SQL expression")
    if rule.date_min > rule.date_max:
        raise ConfigError(f"{where}: date_min {rule.date_min} > date_max {rule.date_max}")
    if any(len(pair) != 2 for pair in rule.equal):
        raise ConfigError(f"{where}: equal must be a list of [left, right] column pairs")
    _check_reference(where, rule)
    _check_outcome(where, rule)
    return rule


def _check_pattern(where: str, key: str, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"{where}: {key} {pattern!r} is not a regular expression: {exc}"
        ) from None


def _check_reference(where: str, rule: Rule) -> None:
    """The reference test's own settings, and a blocking key for the tests that have none."""
    if rule.reference == "extract":
        if not rule.pattern:
            raise ConfigError(
                f"{where}: reference 'extract' needs pattern, the regular expression that "
                "finds the reference in the right item's text"
            )
        _check_pattern(where, "pattern", rule.pattern)
    elif rule.pattern:
        raise ConfigError(f"{where}: pattern is only used by reference = 'extract'")
    if rule.left_pattern:
        if rule.reference != "extract":
            raise ConfigError(f"{where}: left_pattern is only used by reference = 'extract'")
        _check_pattern(where, "left_pattern", rule.left_pattern)
    if not 0.0 < rule.similarity <= 1.0:
        raise ConfigError(f"{where}: similarity {rule.similarity} must be in (0, 1]")
    if rule.min_prefix < 1:
        raise ConfigError(f"{where}: min_prefix {rule.min_prefix} must be at least 1")
    if rule.amount_within < 0:
        raise ConfigError(f"{where}: amount_within {rule.amount_within} must be >= 0")
    if rule.reference in UNBLOCKED_TESTS and not rule.equal and not rule.amount_within:
        raise ConfigError(
            f"{where}: reference {rule.reference!r} alone would compare every pair: add an "
            'equality key (e.g. equal = [["currency", "currency"], ["amount", "amount"]]) '
            "or amount_within so the candidate join stays cheap"
        )


def _check_outcome(where: str, rule: Rule) -> None:
    """A fuzzy reference books a pair only when the amount is exact, never a break."""
    if not rule.fuzzy:
        return
    if rule.outcome == "PARTIAL":
        raise ConfigError(
            f"{where}: reference {rule.reference!r} is inexact and cannot book a break: "
            "use outcome = 'SUGGESTED' (an operator confirms the pair)"
        )
    if rule.outcome == "MATCHED" and (rule.tolerance_abs or rule.tolerance_pct):
        raise ConfigError(
            f"{where}: reference {rule.reference!r} is inexact: outcome 'MATCHED' needs the "
            "amount exact (tolerance_abs = 0, tolerance_pct = 0); use outcome = 'SUGGESTED' "
            "for pairs whose amounts differ"
        )


def _returns(leg: str, raw: dict[str, Any] | None, source: Path) -> Returns | None:
    if raw is None:
        return None
    where = f"{source} [legs.{leg}.returns]"
    _reject_unknown_keys(where, raw, set(Returns.__dataclass_fields__))
    try:
        returns = Returns(**raw)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}; set name and filter") from None
    if returns.date_min > returns.date_max:
        raise ConfigError(f"{where}: date_min {returns.date_min} > date_max {returns.date_max}")
    return returns


def load_legs(path: Path | None = None) -> dict[str, Leg]:
    """Legs in file order, each with its ordered rules."""
    source = path or CONF_DIR / "rules.toml"
    try:
        doc = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"matching rules file {source} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    legs: dict[str, Leg] = {}
    for name, raw in doc.get("legs", {}).items():
        if name not in LEGS:
            raise ConfigError(f"{source}: unknown leg {name!r}; legs are {LEGS}")
        for side in ("left", "right"):
            if raw.get(side) not in SIDES:
                raise ConfigError(f"{source} [legs.{name}] {side} must be one of {SIDES}")
        rules = tuple(_rule(name, i, r, source) for i, r in enumerate(raw.get("rules", [])))
        if not rules:
            raise ConfigError(f"{source} [legs.{name}] has no [[legs.{name}.rules]]")
        legs[name] = Leg(
            name=name,
            description=raw.get("description", ""),
            left=raw["left"],
            right=raw["right"],
            left_filter=raw.get("left_filter", "true"),
            right_filter=raw.get("right_filter", "true"),
            pending_days=int(raw.get("pending_days", 1)),
            pending_days_by_partner=dict(raw.get("pending_days_by_partner", {})),
            right_unmatched_reason=raw.get("right_unmatched_reason", "MISSING_COUNTERPART"),
            rules=rules,
            returns=_returns(name, raw.get("returns"), source),
        )
    check_legs(legs, source)  # the SQL and column names, before any Spark work
    return legs
