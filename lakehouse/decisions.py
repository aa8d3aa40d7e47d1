"""Recording operator decisions: they land like any feed and flow through bronze and silver.

One call writes one JSON-lines file into ``<landing>/manual_decisions/`` holding one
decision or many (bulk). Before anything is written every decision is checked: its
fields (action, leg, who and why, the items and the value its action needs) and,
unless ``force``, its items against gold (``gold.recon_items``: each item exists on
that leg, and a match names left items as left and right items as right). ``force``
records decisions for items that have not arrived yet; every run then reports the
decisions it could not apply (``gold.decision_outcomes``).

No JVM: gold is read through ``deltalake`` (:mod:`lakehouse.lookup`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from lakehouse.bronze.formats.manual_decisions import ACTIONS, QUEUE_ACTIONS, STATUSES
from lakehouse.config import Settings
from lakehouse.constants import LEGS
from lakehouse.errors import LakehouseError
from lakehouse.landing import landing_zone

ITEM_ACTIONS = ("write_off", "adjust", *QUEUE_ACTIONS)  # name one item
PAIR_ACTIONS = ("match", "unmatch")  # name left and right items
MAX_TEXT = 2000
MAX_NAME = 120
_ID = re.compile(r"[^\s,]{1,200}")

__all__ = [
    "ACTIONS",
    "LEGS",
    "STATUSES",
    "Decision",
    "DecisionError",
    "parse_amount",
    "record_decision",
    "record_decisions",
]


class DecisionError(LakehouseError):
    """A decision that cannot be recorded as given (names the field and the fix)."""


def parse_amount(text: str, what: str = "--amount") -> Decimal:
    """An exact amount with at most 2 decimal places, e.g. ``-12.30`` (never a float)."""
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation:
        raise DecisionError(f"{what} {text!r} is not an amount; write it like 12.30") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise DecisionError(f"{what} {text!r} must have at most 2 decimal places, e.g. 12.30")
    if amount == 0 or abs(amount) >= Decimal("1e16"):
        raise DecisionError(f"{what} {text!r} must be non-zero and below 10^16")
    return amount.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Decision:
    """One operator decision before it is recorded (see :func:`record_decisions`)."""

    action: str
    leg: str
    reason: str
    user: str
    left_ids: tuple[str, ...] = ()
    right_ids: tuple[str, ...] = ()
    item_id: str | None = None
    owner: str | None = None
    status: str | None = None
    amount: Decimal | None = None

    @property
    def items(self) -> tuple[str, ...]:
        return (*self.left_ids, *self.right_ids, *([self.item_id] if self.item_id else []))

    def check(self) -> None:
        """Raise :class:`DecisionError` naming the first field that is missing or wrong."""
        if self.action not in ACTIONS:
            raise DecisionError(f"action {self.action!r} is not one of {', '.join(ACTIONS)}")
        if self.leg not in LEGS:
            raise DecisionError(f"--leg {self.leg!r} is not one of {', '.join(LEGS)}")
        if not self.reason.strip() or not self.user.strip():
            raise DecisionError(f"{self._cli} needs --reason and --user: who decided and why")
        if len(self.reason) > MAX_TEXT or len(self.user) > MAX_NAME:
            raise DecisionError(
                f"{self._cli}: --reason is limited to {MAX_TEXT} and --user to {MAX_NAME} "
                "characters"
            )
        for item in self.items:
            if not _ID.fullmatch(item):
                raise DecisionError(
                    f"{self._cli}: item id {item[:60]!r} must be 1-200 characters without "
                    "spaces or commas (an item_id from `lakehouse queue`)"
                )
        self._check_action_fields()

    def _check_action_fields(self) -> None:
        if self.action in PAIR_ACTIONS and not (self.left_ids and self.right_ids):
            raise DecisionError(f"{self._cli} needs --left and --right item ids")
        if self.action in ITEM_ACTIONS and not self.item_id:
            raise DecisionError(f"{self._cli} needs --item (an item_id from `lakehouse queue`)")
        if self.action == "assign" and not (self.owner or "").strip():
            raise DecisionError("assign needs --owner: who works the break")
        if self.owner is not None and len(self.owner) > MAX_NAME:
            raise DecisionError(f"--owner is limited to {MAX_NAME} characters")
        if self.action == "status" and self.status not in STATUSES:
            raise DecisionError(
                f"status {self.status!r} is not one of {', '.join(STATUSES)} "
                "(RESOLVED is set by the run that applies a match, write-off or adjustment)"
            )
        if self.action == "adjust" and self.amount is None:
            raise DecisionError("adjust needs --amount: the adjusting entry, e.g. -1.00")

    @property
    def _cli(self) -> str:
        return self.action.replace("_", "-")

    def record(self, decision_id: str, at: datetime) -> dict[str, object]:
        """The JSON object of the decision file (money as an exact decimal string)."""
        return {
            "decision_id": decision_id,
            "action": self.action,
            "leg": self.leg,
            "left_ids": list(self.left_ids),
            "right_ids": list(self.right_ids),
            "item_id": self.item_id,
            "reason": self.reason,
            "decided_by": self.user,
            "decided_at": at.isoformat(timespec="seconds"),
            "owner": self.owner,
            "status": self.status,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
        }


@dataclass
class GoldCheck:
    """What gold says about the items decisions name: ``found[leg][item_id] = side``."""

    as_of: str | None
    found: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def problems(self, decision: Decision) -> list[str]:
        where = f"gold.recon_items ({self.as_of})" if self.as_of else "gold"
        known = self.found.get(decision.leg, {})
        sides = [("left", i) for i in decision.left_ids] + [
            ("right", i) for i in decision.right_ids
        ]
        sides += [("", decision.item_id)] if decision.item_id else []
        found: list[str] = []
        for side, item in sides:
            if item not in known:
                found.append(f"{item} is not an item of leg {decision.leg} in {where}")
            elif side and known[item] != side:
                option = "--left" if known[item] == "left" else "--right"
                found.append(
                    f"{item} is a {known[item]} item of {decision.leg}; give it as {option}"
                )
        return found


def check_against_gold(settings: Settings, decisions: Sequence[Decision]) -> None:
    """Raise one :class:`DecisionError` naming every item gold does not know as given."""
    from lakehouse.lookup import find_items

    wanted: dict[str, set[str]] = {}
    for decision in decisions:
        wanted.setdefault(decision.leg, set()).update(decision.items)
    as_of, found = find_items(settings.storage.root, wanted)
    check = GoldCheck(as_of, found)
    problems = [p for d in decisions for p in check.problems(d)]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise DecisionError(
            f"{decisions[0]._cli}: {'; '.join(problems[:3])}{more}; check the ids with "
            "`lakehouse queue`, or pass --force to record it for items that have not "
            "arrived yet"
        )


def next_run_time(settings: Settings, now: datetime | None = None) -> datetime:
    """When a decision recorded now takes effect by default: on the business day after
    the last reconciled one (the next run applies it), at the current time of day;
    today when gold has no run yet."""
    from lakehouse.lookup import ITEMS, last_as_of, try_open

    now = now or datetime.now(UTC)
    table = try_open(ITEMS, settings.storage.root)
    last = last_as_of(table) if table is not None else None
    if last is None:
        return now
    day = date.fromisoformat(last) + timedelta(days=1)
    return datetime.combine(day, now.timetz())


def record_decisions(
    settings: Settings,
    decisions: Sequence[Decision],
    *,
    decided_at: datetime | None = None,
    force: bool = False,
) -> tuple[list[dict[str, object]], str]:
    """Check ``decisions`` and write them as one JSON-lines file into
    ``<landing>/manual_decisions/``; returns the records and where they landed.
    Nothing is written when any decision fails its checks. ``decided_at`` defaults to
    :func:`next_run_time`."""
    if not decisions:
        raise DecisionError("no decision to record: name at least one item")
    for decision in decisions:
        decision.check()
    if not force:
        check_against_gold(settings, decisions)
    at = decided_at or next_run_time(settings)
    records = [d.record(f"MD-{uuid.uuid4().hex[:12]}", at) for d in decisions]
    body = "".join(json.dumps(r) + "\n" for r in records).encode()
    name = f"decision_{at:%Y-%m-%d}_{records[0]['decision_id']}.jsonl"
    where = landing_zone(settings).put("manual_decisions", name, body)
    return records, where


def record_decision(
    settings: Settings,
    action: str,
    leg: str,
    *,
    reason: str,
    user: str,
    left_ids: Sequence[str] = (),
    right_ids: Sequence[str] = (),
    item_id: str | None = None,
    decided_at: datetime | None = None,
    owner: str | None = None,
    status: str | None = None,
    amount: Decimal | None = None,
    force: bool = False,
) -> tuple[dict[str, object], str]:
    """Record one decision (see :func:`record_decisions`)."""
    decision = Decision(
        action,
        leg,
        reason,
        user,
        tuple(left_ids),
        tuple(right_ids),
        item_id,
        owner,
        status,
        amount,
    )
    records, where = record_decisions(settings, [decision], decided_at=decided_at, force=force)
    return records[0], where
