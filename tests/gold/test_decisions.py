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


def test_adjust_closes_like_a_write_off_and_a_later_write_off_replaces_it():
    folded = fold_decisions(
        [
            {**_d(1, "adjust", item="L7", at="2026-11-02T09:00:00"), "amount": "1.00"},
            _d(2, "write_off", item="L8"),
        ]
    )
    assert folded.write_offs == {("ledger_bank", "L7"): "D1", ("ledger_bank", "L8"): "D2"}
    assert folded.adjusted == {("ledger_bank", "L7")}
    later = fold_decisions([*folded.rows, _d(3, "write_off", item="L7", at="2026-11-03T09:00:00")])
    assert later.adjusted == set() and later.write_offs[("ledger_bank", "L7")] == "D3"


def test_workflow_folds_owner_status_and_last_note_in_decision_order():
    rows = [
        {**_d(3, "comment", item="L1", at="2026-11-03T08:00:00"), "reason": "asked the bank"},
        {**_d(1, "assign", item="L1", at="2026-11-02T08:00:00"), "owner": "bob"},
        {**_d(2, "comment", item="L1", at="2026-11-02T09:00:00"), "reason": "first look"},
        {**_d(4, "status", item="L1", at="2026-11-03T09:00:00"), "status": "PENDING_RESOLUTION"},
        {**_d(5, "assign", item="L1", at="2026-11-03T10:00:00"), "owner": "carol"},
        {**_d(6, "assign", item="L2"), "owner": "dave"},
    ]
    for row in rows:
        row["decided_by"] = "alice"
    folded = fold_decisions(rows)
    one = folded.workflow[("ledger_bank", "L1")]
    # a later assign changes the owner but keeps a status set by hand
    assert (one.owner, one.status) == ("carol", "PENDING_RESOLUTION")
    assert (one.last_note, one.last_note_by, one.notes) == ("asked the bank", "alice", 2)
    assert one.last_note_at == "2026-11-03T08:00:00"
    two = folded.workflow[("ledger_bank", "L2")]
    assert (two.owner, two.status, two.last_note, two.notes) == ("dave", "ASSIGNED", None, 0)
    # queue decisions move no item: nothing to fetch or thaw
    assert folded.item_ids == set() and folded.write_offs == {}
    assert [r["decision_id"] for r in folded.rows] == ["D1", "D2", "D6", "D3", "D4", "D5"]
