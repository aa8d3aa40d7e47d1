"""What the workbench pages show, read from gold through ``deltalake`` (no JVM).

The queue (:mod:`lakehouse.queue_view`), one item's facts, its explanation and nearest
candidates (``lakehouse.explain`` when it is installed, else the open items of the
other side closest in amount and date), its place in the queue on each as-of date
(time travel), and its decisions: those a run has applied or not
(``gold.decision_outcomes``) and those recorded since, still waiting for a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from lakehouse.asof import close_version
from lakehouse.config import Settings
from lakehouse.errors import LakehouseError
from lakehouse.lookup import ITEMS, last_as_of, rows, try_open
from lakehouse.queue_view import QUEUE

OUTCOMES = "gold.decision_outcomes"
HISTORY_DAYS = 14
CANDIDATES = 5


@dataclass
class ItemView:
    leg: str
    item_id: str
    facts: dict[str, Any] | None
    queue: dict[str, Any] | None
    explanation: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    history: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    as_of: str | None


@dataclass
class PendingDecisions:
    """Decision files in the landing zone, parsed once per file (by name and size)."""

    parsed: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)

    def all(self, settings: Settings) -> list[dict[str, Any]]:
        from lakehouse.bronze.formats.manual_decisions import parse
        from lakehouse.landing import landing_zone

        zone = landing_zone(settings)
        found: list[dict[str, Any]] = []
        for landed in zone.list("manual_decisions"):
            key = (landed.uri, landed.size)
            if key not in self.parsed:
                parsed = parse(zone.read(landed), landed.uri)
                self.parsed[key] = [dict(r.values) for r in parsed.rows]
            found.extend(self.parsed[key])
        return found


def _one(table: Any, leg: str, item_id: str, columns: list[str] | None = None) -> dict[str, Any]:
    import pyarrow.compute as pc

    where = (pc.field("leg") == leg) & (pc.field("item_id") == item_id)
    hits = rows(table, where, columns).to_pylist()
    return hits[0] if hits else {}


def names(decision: Mapping[str, Any]) -> set[str]:
    """The item ids a decision names (landed text: comma-joined lists)."""
    ids: set[str] = set()
    for key in ("left_ids", "right_ids"):
        value = decision.get(key) or ()
        ids.update(value.split(",") if isinstance(value, str) else value)
    if decision.get("item_id"):
        ids.add(str(decision["item_id"]))
    return ids


def _fallback_candidates(
    table: Any, facts: Mapping[str, Any], limit: int = CANDIDATES
) -> list[dict[str, Any]]:
    """Open items of the other side of the leg, same currency first, then closest in
    amount, then in business date."""
    import pyarrow.compute as pc

    other = "right" if facts.get("side") == "left" else "left"
    where = (
        (pc.field("leg") == facts["leg"])
        & pc.field("_closed_as_of").is_null()
        & (pc.field("side") == other)
    )
    columns = ["item_id", "item_ref", "side", "partner", "business_date", "amount", "currency"]
    columns += ["reference", "state", "reason_code"]
    found = rows(table, where, columns).to_pylist()
    amount = facts.get("amount") or Decimal("0")
    day = facts.get("business_date") or date.min

    def distance(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return (
            row.get("currency") != facts.get("currency"),
            abs(abs(row.get("amount") or Decimal("0")) - abs(amount)),
            abs(((row.get("business_date") or day) - day).days),
            str(row.get("item_id")),
        )

    ranked = sorted(found, key=distance)[:limit]
    for row in ranked:
        row["difference"] = abs(row.get("amount") or Decimal("0")) - abs(amount)
        row["days_apart"] = ((row.get("business_date") or day) - day).days
    return ranked


def explanation(leg: str, item_id: str, root: str) -> dict[str, Any]:
    """``lakehouse.explain``'s answer with details, or the error it raised."""
    from lakehouse import explain

    try:
        answer: dict[str, Any] = explain.explain(leg, item_id, root=root, details=True)
    except LakehouseError as exc:
        return {"error": str(exc)}
    return answer


def item_history(
    root: str, leg: str, item_id: str, days: int = HISTORY_DAYS
) -> list[dict[str, Any]]:
    """The item's queue row as the books closed on each of the last ``days`` run dates."""
    table = try_open(QUEUE, root)
    if table is None:
        return []
    commits = []
    for commit in table.history():
        import json

        meta = json.loads(commit.get("userMetadata") or "{}")
        commits.append((int(commit["version"]), meta.get("as_of")))
    dates = sorted({d for _, d in commits if d})[-days:]
    result = []
    for day in reversed(dates):
        version = close_version(commits, date.fromisoformat(day))
        if version is None:
            continue
        table.load_as_version(version)
        result.append({"as_of": day, "version": version, **_one(table, leg, item_id)})
    return result


def decisions_for(
    settings: Settings, pending: PendingDecisions, item_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(outcomes a run gave, decisions recorded since) of the decisions naming the item."""
    table = try_open(OUTCOMES, settings.storage.root)
    known = table.to_pyarrow_table().to_pylist() if table is not None else []
    outcomes = [r for r in known if item_id in (r.get("item_ids") or [])]
    applied = {r["decision_id"] for r in known}
    waiting = [
        d for d in pending.all(settings) if d["decision_id"] not in applied and item_id in names(d)
    ]
    outcomes.sort(key=lambda r: str(r.get("decided_at")), reverse=True)
    waiting.sort(key=lambda r: str(r.get("decided_at")), reverse=True)
    return outcomes, waiting


def item_view(settings: Settings, pending: PendingDecisions, leg: str, item_id: str) -> ItemView:
    root = settings.storage.root
    items = try_open(ITEMS, root)
    queue = try_open(QUEUE, root)
    facts = _one(items, leg, item_id) if items is not None else {}
    row = _one(queue, leg, item_id) if queue is not None else {}
    explained = explanation(leg, item_id, root) if facts else None
    candidates: list[dict[str, Any]] = []
    # gold.recon_candidates may not hold the item (a run before it existed): the
    # nearest open items of the other side stand in
    if facts and items is not None and not (explained or {}).get("candidates"):
        candidates = _fallback_candidates(items, facts)
    outcomes, waiting = decisions_for(settings, pending, item_id)
    return ItemView(
        leg,
        item_id,
        facts or None,
        row or None,
        explained,
        candidates,
        item_history(root, leg, item_id),
        outcomes,
        waiting,
        last_as_of(queue) if queue is not None else None,
    )


def item_side(root: str, leg: str, item_id: str) -> str:
    """The item's side in its leg (``left`` when gold does not hold it)."""
    items = try_open(ITEMS, root)
    facts = _one(items, leg, item_id, ["leg", "item_id", "side"]) if items is not None else {}
    return str(facts.get("side") or "left")


def choices(rows: Iterable[Mapping[str, Any]], column: str) -> list[str]:
    return sorted({str(r[column]) for r in rows if r.get(column) not in (None, "")})
