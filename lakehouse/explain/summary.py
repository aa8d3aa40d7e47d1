"""One plain sentence per decision, from the recorded criteria (pure functions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from lakehouse.gold.rules import Leg

Row = dict[str, Any]

NOUNS = {
    "ledger": "ledger entry",
    "partner": "partner row",
    "partner_payout": "partner payout",
    "bank": "bank line",
}
# the candidate search of gold.recon_candidates, as the sentence for "nothing near" says
NEAR = "the same reference, or the same currency and an amount in a neighbouring 10.00 band"


def noun(leg: Leg, side: str) -> str:
    return NOUNS.get(leg.left if side == "left" else leg.right, "item")


def other(side: str) -> str:
    return "right" if side == "left" else "left"


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _test(criteria: list[Row], name: str) -> Row | None:
    return next((c for c in criteria if c["name"] == name), None)


def reference_phrase(criteria: list[Row]) -> str:
    """How the pair's references relate, as the recorded test saw it."""
    ref = _test(criteria, "reference")
    if ref is None:
        keys = _test(criteria, "keys")
        return f"the same {keys['limit']}" if keys else "no reference test"
    limit = str(ref.get("limit") or "")
    if not ref["passed"]:
        return f"reference {ref['right']!s} against {ref['left']!s} ({limit})"
    if limit == "equals":
        return "the same reference"
    if limit.startswith("found in the text"):
        return f"the reference {ref['left']} in its text"
    if limit.startswith("a word"):
        return f"the reference {ref['left']} as a word of its text"
    if limit.startswith("one a prefix"):
        return f"a truncated reference ({ref['right']} of {ref['left']})"
    return f"a similar reference ({ref['right']} for {ref['left']}, {limit.split('was ')[-1]})"


def failure_phrase(test: Row, own_side: str, currency: str | None) -> str:
    """What a failed test says, seen from the item being explained."""
    name = test["name"]
    own, theirs = test["left"], test["right"]
    if own_side == "right":
        own, theirs = theirs, own
    if name == "amount":
        mine, cp = _dec(own), _dec(theirs)
        unit = f" {currency}" if currency else ""
        if mine is not None and cp is not None:
            diff = cp - mine
            direction = "higher" if diff > 0 else "lower"
            limit = test["limit"]
            return f"is {abs(diff)}{unit} {direction} ({theirs} vs {own}, tolerance {limit})"
        return f"differs in amount ({theirs} vs {own}, tolerance {test['limit']})"
    if name == "currency":
        return f"is in {theirs}, not {own}"
    if name == "fee":
        return f"charges a fee of {test['left']} ({test['right']}, limit {test['limit']})"
    if name == "date":
        return f"is dated {theirs} against {own}, outside {test['limit']}"
    if name == "reference":
        return f"has reference {theirs} against {own} ({test['limit']})"
    return f"fails {name} ({theirs} vs {own}, {test['limit']})"


def failures(criteria: list[Row], own_side: str, currency: str | None) -> list[str]:
    return [failure_phrase(c, own_side, currency) for c in criteria if not c["passed"]]


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def matched(item: Row, match: Row, leg: Leg, counterpart: str) -> str:
    criteria = match.get("criteria") or []
    return (
        f"Matched with {noun(leg, other(item['side']))} {counterpart} by rule {match['rule']} "
        f"(confidence {match['confidence']:.2f}): {reference_phrase(criteria)}, every test "
        f"passed ({', '.join(c['name'] for c in criteria)})."
    )


def partial(item: Row, match: Row, leg: Leg, counterpart: str) -> str:
    criteria = match.get("criteria") or []
    broken = failures(criteria, item["side"], item.get("currency")) or [
        f"has the break {match['reason_code']}"
    ]
    cp = noun(leg, other(item["side"]))
    return (
        f"{cp[0].upper()}{cp[1:]} {counterpart} has {reference_phrase(criteria)} but "
        f"{' and '.join(broken)}: PARTIAL by rule {match['rule']}."
    )


def suggested(item: Row, match: Row, leg: Leg, counterpart: str) -> str:
    criteria = match.get("criteria") or []
    broken = failures(criteria, item["side"], item.get("currency"))
    but = f" but {' and '.join(broken)}" if broken else ""
    left, right = " ".join(match["left_ids"]), " ".join(match["right_ids"])
    return (
        f"Suggested, not booked: {noun(leg, other(item['side']))} {counterpart} has "
        f"{reference_phrase(criteria)}{but} (rule {match['rule']}, confidence "
        f"{match['confidence']:.2f}); confirm with `lakehouse match --leg {leg.name} --left "
        f"{left} --right {right} --reason ...` or reject with `lakehouse unmatch` and the same ids."
    )


def pending(item: Row, leg: Leg) -> str:
    days = leg.pending_days_by_partner.get(str(item.get("partner")), leg.pending_days)
    start = item["business_date"]
    until = start + timedelta(days=days) if isinstance(start, date) else start
    reason = leg.right_unmatched_reason if item["side"] == "right" else "MISSING_COUNTERPART"
    return (
        f"No {noun(leg, other(item['side']))} matches it yet: the settlement window of "
        f"{days} day(s) from {start} runs until {until}; still unmatched after that, it "
        f"becomes {reason}."
    )


def unmatched(item: Row, leg: Leg, candidates: list[Row]) -> str:
    cp = noun(leg, other(item["side"]))
    if not candidates:
        return (
            f"No {cp} matches it by any rule of {leg.name}, and none comes near ({NEAR}, "
            f"within 10 days): no candidate at all."
        )
    best = candidates[0]
    broken = failures(best.get("criteria") or [], item["side"], item.get("currency"))
    what = " and ".join(broken) if broken else "passes every test but was taken by another item"
    return (
        f"No {cp} matches it by any rule of {leg.name}; the nearest, {best['item_id']}, "
        f"{what} (rule {best['rule']})."
    )


def duplicate(item: Row, leg: Leg, holder: Row | None) -> str:
    own = noun(leg, item["side"])
    if holder is None:
        return (
            f"Its reference {item['reference']} is already held by another {own} of "
            f"{leg.name}: this one is a second posting of it."
        )
    held = (
        f"match {holder['match_id']} ({holder['item_id']}, {holder['state']})"
        if holder.get("match_id")
        else f"{holder['item_id']} ({holder['state']})"
    )
    return (
        f"Its reference {item['reference']} is already held by {held}: this {own} is a "
        f"second posting of it."
    )


def returned(item: Row, match: Row, line: Row | None) -> str:
    code = (line or {}).get("return_reason") or "an R-code"
    if item["side"] == "left":
        ret = match["right_ids"][0]
        ref = (line or {}).get("bank_reference") or ret
        return (
            f"Reversed by return {ref} ({code}) booked {match['business_date']} "
            f"(match {match['match_id']}): the debit came back, so the entry is a break "
            f"even where it was matched."
        )
    return (
        f"Return with R-code {code} of entry {match['left_ids'][0]} (match "
        f"{match['match_id']}): the entry's debit came back."
    )


def decided(action: str, decision: Row | None, decision_id: str | None) -> str:
    if decision is None:
        return f"{action} by an operator (decision {decision_id or 'unknown'} not found)."
    return (
        f"{action} by {decision['decided_by']} on {_when(decision['decided_at'])}: "
        f"{decision['reason']} (decision {decision['decision_id']})."
    )


def shorten(summary: str, width: int = 80) -> str:
    return summary if len(summary) <= width else summary[: width - 3].rstrip() + "..."
