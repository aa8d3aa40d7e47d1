"""Declarative matching rules, loaded from ``conf/rules.toml`` and validated at start."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lakehouse.config import CONF_DIR
from lakehouse.constants import LEGS
from lakehouse.errors import ConfigError

Strategy = Literal["one_to_one", "many_to_one", "one_to_many"]
ReferenceTest = Literal["equals", "contains", "similarity", "none"]
Outcome = Literal["MATCHED", "PARTIAL"]
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
    if rule.reference not in ("equals", "contains", "similarity", "none"):
        raise ConfigError(
            f"{where}: reference {rule.reference!r} is not equals, contains, similarity or none"
        )
    if rule.outcome not in ("MATCHED", "PARTIAL"):
        raise ConfigError(f"{where}: outcome must be MATCHED or PARTIAL")
    if rule.strategy != "one_to_one" and not rule.group_key:
        raise ConfigError(f"{where}: strategy {rule.strategy} needs a group_key SQL expression")
    if rule.date_min > rule.date_max:
        raise ConfigError(f"{where}: date_min {rule.date_min} > date_max {rule.date_max}")
    if any(len(pair) != 2 for pair in rule.equal):
        raise ConfigError(f"{where}: equal must be a list of [left, right] column pairs")
    return rule


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
    return legs
