"""Why an item is in the state it is: the rule and the result of each of its tests, the
nearest candidates of a break, who decided what. No JVM: gold through ``deltalake``.

``explain(leg, item, as_of=None)`` answers for one item; :class:`Explainer` opens the
tables once and answers for many (``lakehouse exceptions --format json``, the
workbench). The answer is a dict in the JSON contract of ``lakehouse explain --json``::

    {"leg", "item_id", "as_of", "state", "reason_code", "match_id", "rule",
     "confidence", "criteria": [{"name", "passed", "left", "right", "limit"}],
     "candidates": [{"item_id", "rule", "score", "criteria": [...]}], "summary"}

``criteria`` are those the rule recorded when it made the item's match, its left and
right being the leg's sides. With ``details=True`` a ``details`` dict adds the item's
facts and what the summary cites (suggested, pending_until, duplicate_of, return,
decision).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from lakehouse.constants import SUGGESTED
from lakehouse.errors import LakehouseError
from lakehouse.explain import summary as say
from lakehouse.explain.books import Books, Row
from lakehouse.gold.rules import Leg, load_legs

KEYS = (
    "leg",
    "item_id",
    "as_of",
    "state",
    "reason_code",
    "match_id",
    "rule",
    "confidence",
    "criteria",
    "candidates",
    "summary",
)


def _plain(value: Any) -> Any:
    """JSON-safe: money as exact decimal strings, dates ISO."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _criteria(rows: Iterable[Row] | None) -> list[dict[str, Any]]:
    return [
        {k: _plain(c.get(k)) for k in ("name", "passed", "left", "right", "limit")}
        for c in rows or []
    ]


class Explainer:
    """Explanations as the books stood on ``as_of`` (default: the last run's day)."""

    def __init__(self, as_of: date | None = None, root: str | None = None) -> None:
        self.books = Books(as_of, root)
        self.as_of = self.books.as_of
        self.legs: dict[str, Leg] = load_legs()

    def explain(self, leg: str, item: str, *, details: bool = False) -> dict[str, Any]:
        return self.explain_many([(leg, item)], details=details)[0]

    def explain_many(
        self, keys: Iterable[tuple[str, str]], *, details: bool = False, strict: bool = True
    ) -> list[dict[str, Any]]:
        """One answer per (leg, item_id or item_ref), in order; one scan per table.
        With ``strict=False`` an unknown item answers None instead of raising."""
        wanted = list(keys)
        for leg, _ in wanted:
            if leg not in self.legs:
                raise LakehouseError(f"--leg {leg!r} is not one of {', '.join(self.legs)}")
        rows = self.books.items(wanted)
        items: list[Row | None] = []
        for leg, ref in wanted:
            try:
                items.append(self._item(rows, leg, ref))
            except LakehouseError:
                if strict:
                    raise
                items.append(None)
        found = [i for i in items if i is not None]
        ctx = _Context(self.books, found)
        return [None if i is None else self._answer(i, ctx, details) for i in items]  # type: ignore[misc]

    def _item(self, rows: list[Row], leg: str, ref: str) -> Row:
        by_id = [r for r in rows if r["leg"] == leg and r["item_id"] == ref]
        found = by_id or [r for r in rows if r["leg"] == leg and r["item_ref"] == ref]
        if not found:
            raise LakehouseError(
                f"--item {ref!r}: no item of leg {leg} has that item_id or item_ref as of "
                f"{self.as_of}; list them with `lakehouse exceptions --leg {leg}`"
            )
        if len(found) > 1:
            ids = ", ".join(sorted(r["item_id"] for r in found))
            raise LakehouseError(
                f"--item {ref!r} is the item_ref of several items of leg {leg} ({ids}); "
                "pass one item_id"
            )
        return found[0]

    def _answer(self, item: Row, ctx: _Context, details: bool) -> dict[str, Any]:
        leg = self.legs[item["leg"]]
        match = ctx.matches.get(item.get("match_id") or "")
        key = (item["leg"], item["item_id"])
        candidates = [
            {
                "item_id": c["candidate_id"],
                "rule": c["rule"],
                "score": c["score"],
                "criteria": _criteria(c.get("criteria")),
            }
            for c in ctx.candidates.get(key, [])
            if c.get("candidate_id")
        ]
        sentence, facts = self._summary(item, leg, match, candidates, ctx)
        answer: dict[str, Any] = {
            "leg": item["leg"],
            "item_id": item["item_id"],
            "as_of": self.as_of.isoformat(),
            "state": item["state"],
            "reason_code": item.get("reason_code"),
            "match_id": item.get("match_id"),
            "rule": item.get("rule") or (match or {}).get("rule"),
            "confidence": (match or {}).get("confidence"),
            "criteria": _criteria((match or {}).get("criteria")),
            "candidates": candidates,
            "summary": sentence,
        }
        if details:
            answer["details"] = {
                "item_ref": item.get("item_ref"),
                "side": item.get("side"),
                "amount": _plain(item.get("amount")),
                "currency": item.get("currency"),
                "business_date": _plain(item.get("business_date")),
                "suggested": bool(match and match["status"] == SUGGESTED),
                "counterpart_ids": _counterparts(item, match),
                **{k: v for k, v in facts.items()},
            }
        return answer

    def _summary(
        self,
        item: Row,
        leg: Leg,
        match: Row | None,
        candidates: list[dict[str, Any]],
        ctx: _Context,
    ) -> tuple[str, dict[str, Any]]:
        """The sentence, and the facts it cites (for ``details``)."""
        facts: dict[str, Any] = {
            "pending_until": None,
            "duplicate_of": None,
            "return": None,
            "decision": None,
        }
        state, reason = item["state"], item.get("reason_code")
        rule = str(item.get("rule") or "")
        counterpart = ", ".join(_counterparts(item, match))
        if state == "WRITTEN_OFF":
            decision = ctx.write_offs.get((item["leg"], item["item_id"]))
            facts["decision"] = _decision(decision)
            return say.decided("Written off", decision, None), facts
        if match is not None and rule.startswith("manual:"):
            decision_id = rule.split(":", 1)[1]
            decision = ctx.decisions.get(decision_id)
            facts["decision"] = _decision(decision)
            text = say.decided(f"Matched by hand with {counterpart}", decision, decision_id)
            return text, facts
        if match is not None and match["status"] == "REVERSED":
            line = ctx.bank.get(match["right_ids"][0])
            facts["return"] = {
                "item_id": match["right_ids"][0],
                "item_ref": (line or {}).get("bank_reference"),
                "return_reason": (line or {}).get("return_reason"),
            }
            return say.returned(item, match, line), facts
        if match is not None and match["status"] == SUGGESTED:
            return say.suggested(item, match, leg, counterpart), facts
        if match is not None and state == "PARTIAL":
            return say.partial(item, match, leg, counterpart), facts
        if match is not None:
            return say.matched(item, match, leg, counterpart), facts
        if state == "PENDING":
            days = leg.pending_days_by_partner.get(str(item.get("partner")), leg.pending_days)
            facts["pending_until"] = _plain(item["business_date"] + timedelta(days=days))
            return say.pending(item, leg), facts
        if reason == "DUPLICATE":
            holder = ctx.holders.get(
                (item["leg"], item["side"], str(item.get("reference") or "").strip().upper())
            )
            if holder is not None:
                facts["duplicate_of"] = {
                    "match_id": holder.get("match_id"),
                    "item_id": holder["item_id"],
                }
            return say.duplicate(item, leg, holder), facts
        return say.unmatched(item, leg, candidates), facts


def _counterparts(item: Row, match: Row | None) -> list[str]:
    if match is None:
        return []
    return list(match["right_ids"] if item.get("side") == "left" else match["left_ids"])


def _decision(row: Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    keys = ("decision_id", "action", "decided_by", "decided_at", "reason")
    return {k: (row[k].isoformat() if hasattr(row[k], "isoformat") else row[k]) for k in keys}


class _Context:
    """What the explanations of a batch of items cite, each read in one scan."""

    def __init__(self, books: Books, items: list[Row]) -> None:
        self.matches = books.matches(i["match_id"] for i in items if i.get("match_id"))
        keys = [(i["leg"], i["item_id"]) for i in items]
        self.candidates = books.candidates(keys)
        self.holders = books.holders(i for i in items if i.get("reason_code") == "DUPLICATE")
        rules = [str(m["rule"]) for m in self.matches.values()]
        self.decisions = books.decisions(
            r.split(":", 1)[1] for r in rules if r.startswith("manual:") and ":" in r
        )
        self.write_offs = books.write_offs(
            (i["leg"], i["item_id"]) for i in items if i["state"] == "WRITTEN_OFF"
        )
        returns = [m["right_ids"][0] for m in self.matches.values() if m["status"] == "REVERSED"]
        self.bank = books.bank_lines(returns)


def explain(
    leg: str,
    item: str,
    as_of: date | None = None,
    root: str | None = None,
    *,
    details: bool = False,
) -> dict[str, Any]:
    """The explanation of one item (``item``: its item_id or item_ref)."""
    return Explainer(as_of, root).explain(leg, item, details=details)
