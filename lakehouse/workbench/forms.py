"""Posted forms -> decisions, with one clear message per bad field.

The decisions are the CLI's (:class:`lakehouse.decisions.Decision`) and are recorded by
the same :func:`lakehouse.decisions.record_decisions`, so a form and a command line
land the same file, checked against gold the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs

from lakehouse.decisions import LEGS, STATUSES, Decision, DecisionError, parse_amount

ITEM_ACTIONS = ("assign", "comment", "status", "match", "unmatch", "write_off", "adjust")
BULK_ACTIONS = ("assign", "comment", "status")
MAX_BODY = 64 * 1024
MAX_BULK = 500
NAME = re.compile(r"[\w.@+\- ]{1,120}")


class FormError(DecisionError):
    """A field the operator must correct; ``field`` names it for the page."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


Fields = Mapping[str, Sequence[str]]


def parse_body(body: bytes) -> dict[str, list[str]]:
    """An ``application/x-www-form-urlencoded`` body (no file uploads here)."""
    if len(body) > MAX_BODY:
        raise FormError("form", f"the form is larger than {MAX_BODY // 1024} KB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError("form", "the form is not UTF-8") from None
    return parse_qs(text, keep_blank_values=True, max_num_fields=MAX_BULK + 20)


def text(fields: Fields, name: str, label: str, *, required: bool = True, limit: int = 2000) -> str:
    value = (fields.get(name) or [""])[0].strip()
    if required and not value:
        raise FormError(name, f"{label} is required")
    if len(value) > limit:
        raise FormError(name, f"{label} is longer than {limit} characters")
    return value


def _owner(fields: Fields) -> str:
    owner = text(fields, "owner", "Owner", limit=120)
    if not NAME.fullmatch(owner):
        raise FormError("owner", "Owner may hold letters, digits, spaces and . @ + - _ only")
    return owner


def _status(fields: Fields) -> str:
    status = text(fields, "status", "Status")
    if status not in STATUSES:
        raise FormError("status", f"Status must be one of {', '.join(STATUSES)}")
    return status


def _queue_decision(action: str, fields: Fields, leg: str, item: str, user: str) -> Decision:
    if action == "assign":
        owner = _owner(fields)
        reason = text(fields, "reason", "Reason", required=False) or f"assigned to {owner}"
        return Decision("assign", leg, reason, user, item_id=item, owner=owner)
    if action == "comment":
        return Decision("comment", leg, text(fields, "text", "Comment"), user, item_id=item)
    status = _status(fields)
    reason = text(fields, "reason", "Reason", required=False) or f"status {status}"
    return Decision("status", leg, reason, user, item_id=item, status=status)


def item_decision(
    action: str, fields: Fields, leg: str, item: str, side: str, user: str
) -> Decision:
    """The decision a form of the item page asks for (``side``: the item's side)."""
    if action not in ITEM_ACTIONS:
        raise FormError("action", f"unknown action {action!r}")
    if action in BULK_ACTIONS:
        return _queue_decision(action, fields, leg, item, user)
    reason = text(fields, "reason", "Reason")
    if action in ("match", "unmatch"):
        other = text(fields, "candidate", "A candidate", limit=200)
        left, right = ((item,), (other,)) if side == "left" else ((other,), (item,))
        return Decision(action, leg, reason, user, left, right)
    if action == "adjust":
        try:
            amount = parse_amount(text(fields, "amount", "Amount", limit=40), "Amount")
        except DecisionError as exc:
            raise FormError("amount", str(exc)) from None
        return Decision("adjust", leg, reason, user, item_id=item, amount=amount)
    return Decision("write_off", leg, reason, user, item_id=item)


def bulk_decisions(fields: Fields, user: str) -> list[Decision]:
    """Decisions for the queue page's selected rows (``pick`` = ``leg|item_id``)."""
    action = text(fields, "action", "Action")
    if action not in BULK_ACTIONS:
        raise FormError("action", f"Action must be one of {', '.join(BULK_ACTIONS)}")
    picked = [p for p in fields.get("pick", []) if p]
    if not picked:
        raise FormError("pick", "Select at least one break")
    if len(picked) > MAX_BULK:
        raise FormError("pick", f"Select at most {MAX_BULK} breaks at once")
    decisions = []
    for value in picked:
        leg, _, item = value.partition("|")
        if leg not in LEGS or not item:
            raise FormError("pick", f"{value[:80]!r} is not a break of the queue")
        decisions.append(_queue_decision(action, fields, leg, item, user))
    return decisions
