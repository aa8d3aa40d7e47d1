"""Which decisions a run applied, and why not (pure: decisions folded, gold's states)."""

from __future__ import annotations

from lakehouse.gold.decision_outcomes import named_items, outcomes
from lakehouse.gold.decisions import fold_decisions


def _d(i: int, action: str, left=(), right=(), item=None, at="2026-11-02T10:00:00", **extra):
    return {
        "decision_id": f"D{i}",
        "action": action,
        "leg": "ledger_bank",
        "left_ids": list(left),
        "right_ids": list(right),
        "item_id": item,
        "decided_at": at,
        "decided_by": "alice",
        "reason": "why",
        **extra,
    }


def _verdicts(rows, found):
    folded = fold_decisions(rows)
    return {r["decision_id"]: (r["outcome"], r["detail"]) for r in outcomes(folded, found)}


def test_every_decision_gets_an_outcome_and_unapplied_ones_say_why():
    rows = [
        _d(1, "match", ["L1"], ["B1"]),
        _d(2, "write_off", item="GHOST-1"),
        _d(3, "write_off", item="L5"),
        _d(4, "match", ["L2"], ["B2"]),
        _d(5, "assign", item="L6", owner="bob"),
        _d(6, "adjust", item="L7", amount="1.00"),
        _d(7, "match", ["L3"], ["B3"]),
        _d(8, "unmatch", ["L3"], ["B3"], at="2026-11-03T10:00:00"),
        _d(9, "comment", item="GHOST-2"),
    ]
    found = {
        ("ledger_bank", "L1"): ("MATCHED", "manual:D1"),
        ("ledger_bank", "B1"): ("MATCHED", "manual:D1"),
        ("ledger_bank", "L5"): ("MATCHED", "exact_reference"),
        ("ledger_bank", "L2"): ("MATCHED", "exact_reference"),
        ("ledger_bank", "B2"): ("MATCHED", "manual:D4"),
        ("ledger_bank", "L6"): ("EXCEPTION", None),
        ("ledger_bank", "L7"): ("WRITTEN_OFF", "manual:adjust"),
        ("ledger_bank", "L3"): ("EXCEPTION", None),
        ("ledger_bank", "B3"): ("EXCEPTION", None),
    }
    verdicts = _verdicts(rows, found)
    assert verdicts == {
        "D1": ("APPLIED", None),
        "D2": (
            "NOT_APPLIED",
            "not in gold.recon_items for leg ledger_bank: GHOST-1 "
            "(not arrived by this day, or a wrong id)",
        ),
        "D3": ("NOT_APPLIED", "L5 stays MATCHED (exact_reference)"),
        "D4": ("NOT_APPLIED", "L2 is MATCHED by exact_reference"),
        "D5": ("APPLIED", None),
        "D6": ("APPLIED", None),
        "D7": ("UNDONE", "a later unmatch or match of the same items replaced it"),
        "D8": ("APPLIED", None),
        "D9": (
            "NOT_APPLIED",
            "not in gold.recon_items for leg ledger_bank: GHOST-2 "
            "(not arrived by this day, or a wrong id)",
        ),
    }


def test_a_write_off_replaced_by_a_later_adjustment_is_undone():
    rows = [
        _d(1, "write_off", item="L1"),
        _d(2, "adjust", item="L1", at="2026-11-03T10:00:00", amount="2.00"),
    ]
    found = {("ledger_bank", "L1"): ("WRITTEN_OFF", "manual:adjust")}
    assert _verdicts(rows, found) == {
        "D1": ("UNDONE", "replaced by the later decision D2"),
        "D2": ("APPLIED", None),
    }
    assert named_items(fold_decisions(rows)) == {"L1"}
