from __future__ import annotations

from lakehouse.gold.decisions import fold_decisions


def _d(i: int, action: str, left=(), right=(), item=None, at="2026-11-02T10:00:00"):
    return {
        "decision_id": f"D{i}",
        "action": action,
        "leg": "ledger_bank",
        "left_ids": list(left),
        "right_ids": list(right),
        "item_id": item,
        "decided_at": at,
    }


def test_later_unmatch_undoes_match_and_forbids_pair():
    folded = fold_decisions(
        [
            _d(1, "match", ["L1"], ["B1"], at="2026-11-02T09:00:00"),
            _d(2, "unmatch", ["L1"], ["B1"], at="2026-11-02T11:00:00"),
        ]
    )
    assert folded.matches == {}
    assert folded.forbidden == {("ledger_bank", "L1", "B1")}


def test_match_after_unmatch_wins_and_write_off_recorded():
    folded = fold_decisions(
        [
            _d(2, "match", ["L1"], ["B1"], at="2026-11-03T09:00:00"),
            _d(1, "unmatch", ["L1"], ["B1"], at="2026-11-02T09:00:00"),
            _d(3, "write_off", item="B9"),
        ]
    )
    assert folded.matches == {("ledger_bank", ("L1",), ("B1",)): "D2"}
    assert folded.forbidden == set()
    assert folded.write_offs == {("ledger_bank", "B9"): "D3"}
    assert folded.item_ids == {"L1", "B1", "B9"}
