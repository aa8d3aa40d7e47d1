"""The diff of two sets of books: what a rule change would have changed (no JVM).

``before`` is the real gold as of the preview's last day, ``after`` the scratch gold
the preview wrote; both are read through ``deltalake``. Per leg and in total:

* **matches** are the MATCHED matches (a PARTIAL pair is a break, not a match).
  ``new_matches``: matches of ``after`` none of whose items was in a match of
  ``before``; ``lost_matches``: the reverse; ``changed_matches``: matches of ``after``
  that replace one or more matches of ``before`` with other members (an item moved to
  another counterpart, a group grew or shrank). A match is one ``match_id``, a hash of
  its leg and members, so the same members are the same match.
* **state_changes**: items whose state or reason changed, counted per ``FROM->TO``
  (``STATE`` or ``STATE/REASON``; ``ABSENT`` when the item is not in those books),
  with their absolute amounts per currency (exact decimal strings).
* **open_before** / **open_after**: open breaks (PARTIAL and EXCEPTION items).
* **examples**: up to :data:`EXAMPLES` of each kind, largest absolute amount first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lakehouse.constants import BREAK_STATES, LEGS
from lakehouse.readers import read_table

EXAMPLES = 20
KINDS = ("new_match", "lost_match", "changed_match", "state_change")
MATCH_COLUMNS = (
    "match_id",
    "leg",
    "rule",
    "status",
    "reason_code",
    "left_ids",
    "right_ids",
    "left_amount",
    "currency",
)
ITEM_COLUMNS = (
    "leg",
    "item_id",
    "item_ref",
    "state",
    "reason_code",
    "match_id",
    "rule",
    "amount",
    "currency",
)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Books:
    """The parts of gold the diff reads: matches and items as pandas DataFrames."""

    matches: Any
    items: Any


def load_books(root: str, as_of: date) -> Books:
    """Gold under ``root`` as the books stood on ``as_of`` (Delta time travel)."""
    return Books(
        read_table("gold.recon_matches", as_of=as_of, root=root, columns=list(MATCH_COLUMNS)),
        read_table("gold.recon_items", as_of=as_of, root=root, columns=list(ITEM_COLUMNS)),
    )


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _money(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def label(state: Any, reason: Any) -> str:
    """``STATE`` or ``STATE/REASON``; ``ABSENT`` for an item the books do not hold."""
    state, reason = _text(state), _text(reason)
    if state is None:
        return "ABSENT"
    return f"{state}/{reason}" if reason else state


def _match(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "match_id": row["match_id"],
        "status": _text(row["status"]),
        "rule": _text(row["rule"]),
        "reason_code": _text(row["reason_code"]),
        "left_ids": [str(i) for i in row["left_ids"]],
        "right_ids": [str(i) for i in row["right_ids"]],
    }


def _matched(books: Books) -> dict[str, dict[str, Any]]:
    frame = books.matches[books.matches.status == "MATCHED"]
    return {str(r["match_id"]): r for r in frame.to_dict("records")}


def _members(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(row["leg"]), str(i)) for i in (*row["left_ids"], *row["right_ids"])]


@dataclass
class _Leg:
    new_matches: int = 0
    lost_matches: int = 0
    changed_matches: int = 0
    open_before: int = 0
    open_after: int = 0

    def __post_init__(self) -> None:
        self.state_changes: dict[str, int] = defaultdict(int)
        self.amounts: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))

    def as_json(self) -> dict[str, Any]:
        return {
            "new_matches": self.new_matches,
            "lost_matches": self.lost_matches,
            "changed_matches": self.changed_matches,
            "state_changes": dict(sorted(self.state_changes.items())),
            "state_change_amounts": {
                change: {ccy: str(v) for ccy, v in sorted(by_ccy.items())}
                for change, by_ccy in sorted(self.amounts.items())
            },
            "open_before": self.open_before,
            "open_after": self.open_after,
        }

    def add(self, other: _Leg) -> None:
        self.new_matches += other.new_matches
        self.lost_matches += other.lost_matches
        self.changed_matches += other.changed_matches
        self.open_before += other.open_before
        self.open_after += other.open_after
        for change, n in other.state_changes.items():
            self.state_changes[change] += n
        for change, by_ccy in other.amounts.items():
            for ccy, amount in by_ccy.items():
                self.amounts[change][ccy] += amount


@dataclass(frozen=True)
class Diff:
    legs: dict[str, dict[str, Any]]
    total: dict[str, Any]
    examples: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        t = self.total
        return not (
            t["new_matches"] or t["lost_matches"] or t["changed_matches"] or t["state_changes"]
        )


def _item_example(kind: str, item: Mapping[str, Any]) -> dict[str, Any]:
    amount = _money(item.get("amount"))
    return {
        "kind": kind,
        "leg": str(item["leg"]),
        "item_id": str(item["item_id"]),
        "item_ref": _text(item.get("item_ref")),
        "amount": None if amount is None else str(amount),
        "currency": _text(item.get("currency")),
        "state_before": item["from"],
        "state_after": item["to"],
    }


def _compare_matches(
    before: Books, after: Books, legs: dict[str, _Leg]
) -> list[tuple[str, dict[str, Any]]]:
    """Count new, lost and changed matches per leg; returns (kind, match row) pairs
    (the ``after`` row, or the ``before`` row of a lost match)."""
    was, now = _matched(before), _matched(after)
    gone = {k: v for k, v in was.items() if k not in now}
    came = {k: v for k, v in now.items() if k not in was}
    holder = {member: k for k, row in gone.items() for member in _members(row)}
    replaced: set[str] = set()
    found: list[tuple[str, dict[str, Any]]] = []
    for row in came.values():
        old = {holder[m] for m in _members(row) if m in holder}
        replaced |= old
        kind = "changed_match" if old else "new_match"
        leg = legs.setdefault(str(row["leg"]), _Leg())
        if old:
            leg.changed_matches += 1
        else:
            leg.new_matches += 1
        found.append((kind, row))
    for key, row in gone.items():
        if key not in replaced:
            legs.setdefault(str(row["leg"]), _Leg()).lost_matches += 1
            found.append(("lost_match", row))
    return found


def _compare_items(before: Books, after: Books, legs: dict[str, _Leg]) -> list[dict[str, Any]]:
    """Count state changes and open breaks per leg; returns the changed items."""
    for books, attr in ((before, "open_before"), (after, "open_after")):
        counts = books.items[books.items.state.isin(list(BREAK_STATES))].groupby("leg").size()
        for leg, n in counts.items():
            setattr(legs.setdefault(str(leg), _Leg()), attr, int(n))
    merged = before.items.merge(
        after.items, on=["leg", "item_id"], how="outer", suffixes=("_b", "_a")
    )
    changed = []
    for row in merged.to_dict("records"):
        start = label(row["state_b"], row["reason_code_b"])
        end = label(row["state_a"], row["reason_code_a"])
        if start == end:
            continue
        side = "a" if end != "ABSENT" else "b"
        item = {
            "leg": row["leg"],
            "item_id": row["item_id"],
            "item_ref": row[f"item_ref_{side}"],
            "amount": row[f"amount_{side}"],
            "currency": row[f"currency_{side}"],
            "from": start,
            "to": end,
        }
        leg = legs.setdefault(str(row["leg"]), _Leg())
        change = f"{start}->{end}"
        leg.state_changes[change] += 1
        amount = _money(item["amount"])
        ccy = _text(item["currency"]) or "?"
        leg.amounts[change][ccy] += abs(amount) if amount is not None else ZERO
        changed.append(item)
    return changed


def _holding(books: Books, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(leg, item_id) -> the match (any status) holding it, for ``keys`` only."""
    ids = {item for _, item in keys}
    frame = books.matches
    mask = frame.left_ids.map(lambda a: any(i in ids for i in a)) | frame.right_ids.map(
        lambda a: any(i in ids for i in a)
    )
    return {
        member: _match(row)
        for row in frame[mask].to_dict("records")
        for member in _members(row)
        if member in keys
    }


def _refs(books: Books, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    frame = books.items[books.items.item_id.isin({item for _, item in keys})]
    return {
        (str(r["leg"]), str(r["item_id"])): _text(r["item_ref"]) for r in frame.to_dict("records")
    }


def _largest(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(row: dict[str, Any]) -> tuple[Decimal, str, str]:
        amount = Decimal(row["amount"]) if row.get("amount") is not None else ZERO
        return (-abs(amount), row["leg"], row["item_id"])

    return sorted(rows, key=key)[:EXAMPLES]


def diff(before: Books, after: Books, legs_named: Iterable[str] = ()) -> Diff:
    """The diff of ``after`` against ``before`` (see the module); ``legs_named`` are
    listed even when nothing changed in them."""
    legs: dict[str, _Leg] = {leg: _Leg() for leg in legs_named}
    matches = _compare_matches(before, after, legs)
    items = _compare_items(before, after, legs)
    states = {(str(i["leg"]), str(i["item_id"])): i for i in items}
    candidates: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for kind, row in matches:
        first = (str(row["leg"]), str(row["left_ids"][0]))
        item = states.get(first) or {"from": "MATCHED", "to": "MATCHED"}
        example = _item_example(
            kind, {**item, "leg": first[0], "item_id": first[1], "amount": row["left_amount"]}
        )
        example["currency"] = _text(row["currency"])
        candidates[kind].append(example)
    candidates["state_change"] = [_item_example("state_change", i) for i in items]
    chosen = [e for kind in KINDS for e in _largest(candidates[kind])]
    keys = {(e["leg"], e["item_id"]) for e in chosen}
    if keys:
        held_before, held_after = _holding(before, keys), _holding(after, keys)
        refs = {**_refs(before, keys), **_refs(after, keys)}
        for example in chosen:
            key = (example["leg"], example["item_id"])
            example["item_ref"] = example["item_ref"] or refs.get(key)
            example["match_before"] = held_before.get(key)
            example["match_after"] = held_after.get(key)
    total = _Leg()
    for leg in legs.values():
        total.add(leg)
    order = sorted(legs, key=lambda leg: (LEGS.index(leg) if leg in LEGS else len(LEGS), leg))
    return Diff({k: legs[k].as_json() for k in order}, total.as_json(), chosen)
