"""Recording operator decisions: they land like any feed and flow through bronze and silver."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from lakehouse.config import Settings
from lakehouse.constants import LEGS
from lakehouse.errors import LakehouseError
from lakehouse.landing import landing_zone

ACTIONS = ("match", "unmatch", "write_off")


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
) -> tuple[dict[str, object], str]:
    """Write one decision as a JSON-lines file into ``<landing>/manual_decisions/``."""
    if action not in ACTIONS:
        raise LakehouseError(f"action {action!r} is not one of {ACTIONS}")
    if leg not in LEGS:
        raise LakehouseError(f"leg {leg!r} is not one of {LEGS}")
    if action in ("match", "unmatch") and not (left_ids and right_ids):
        raise LakehouseError(f"{action} needs --left and --right item ids")
    if action == "write_off" and not item_id:
        raise LakehouseError("write-off needs --item (an item_id from `lakehouse exceptions`)")
    if not reason.strip() or not user.strip():
        raise LakehouseError("a decision needs --reason and --user: who decided and why")
    at = decided_at or datetime.now(UTC)
    record: dict[str, object] = {
        "decision_id": f"MD-{uuid.uuid4().hex[:12]}",
        "action": action,
        "leg": leg,
        "left_ids": list(left_ids),
        "right_ids": list(right_ids),
        "item_id": item_id,
        "reason": reason,
        "decided_by": user,
        "decided_at": at.isoformat(timespec="seconds"),
    }
    name = f"decision_{at:%Y-%m-%d}_{record['decision_id']}.jsonl"
    where = landing_zone(settings).put(
        "manual_decisions", name, (json.dumps(record) + "\n").encode()
    )
    return record, where
