"""The preview's diff of two sets of books, on small hand-made books (no JVM)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from lakehouse.config import CONF_DIR
from lakehouse.preview.diff import EXAMPLES, Books, diff, label
from lakehouse.preview.explained import explain_examples

LEG = "ledger_partner"


def item(
    item_id: str,
    state: str,
    reason: str | None = None,
    match_id: str | None = None,
    amount: str = "10.00",
    currency: str = "EUR",
    leg: str = LEG,
) -> dict[str, Any]:
    return {
        "leg": leg,
        "item_id": item_id,
        "item_ref": f"ref-{item_id}",
        "state": state,
        "reason_code": reason,
        "match_id": match_id,
        "rule": None,
        "amount": Decimal(amount),
        "currency": currency,
    }


def match(
    match_id: str,
    left: list[str],
    right: list[str],
    status: str = "MATCHED",
    rule: str = "reference_and_amount",
    amount: str = "10.00",
    leg: str = LEG,
) -> dict[str, Any]:
    return {
        "match_id": match_id,
        "leg": leg,
        "rule": rule,
        "status": status,
        "reason_code": None if status == "MATCHED" else "AMOUNT_MISMATCH",
        "left_ids": left,
        "right_ids": right,
        "left_amount": Decimal(amount),
        "currency": "EUR",
    }


def books(matches: list[dict[str, Any]], items: list[dict[str, Any]]) -> Books:
    match_columns = list(match("x", [], []).keys())
    item_columns = list(item("x", "MATCHED").keys())
    return Books(
        pd.DataFrame(matches, columns=match_columns), pd.DataFrame(items, columns=item_columns)
    )


def test_the_same_books_give_an_empty_diff() -> None:
    same = books(
        [match("m1", ["L1"], ["P1"])],
        [item("L1", "MATCHED", match_id="m1"), item("P1", "MATCHED", match_id="m1")],
    )
    result = diff(same, same, [LEG, "ledger_bank"])
    assert result.empty
    assert result.examples == []
    assert list(result.legs) == [LEG, "ledger_bank"]  # the rules' order, each listed
    assert result.legs["ledger_bank"]["new_matches"] == 0


def test_a_partial_pair_that_now_matches_is_a_new_match_and_a_state_change() -> None:
    before = books(
        [match("m1", ["L1"], ["P1"], status="PARTIAL", rule="reference_with_break")],
        [
            item("L1", "PARTIAL", "AMOUNT_MISMATCH", "m1", amount="-151.00"),
            item("P1", "PARTIAL", "AMOUNT_MISMATCH", "m1", amount="150.00"),
        ],
    )
    after = books(
        [match("m1", ["L1"], ["P1"], rule="loose_amount", amount="-151.00")],
        [
            item("L1", "MATCHED", None, "m1", amount="-151.00"),
            item("P1", "MATCHED", None, "m1", amount="150.00"),
        ],
    )
    result = diff(before, after)
    leg = result.legs[LEG]
    assert (leg["new_matches"], leg["lost_matches"], leg["changed_matches"]) == (1, 0, 0)
    assert leg["state_changes"] == {"PARTIAL/AMOUNT_MISMATCH->MATCHED": 2}
    # absolute amounts, exact decimal strings
    assert leg["state_change_amounts"] == {"PARTIAL/AMOUNT_MISMATCH->MATCHED": {"EUR": "301.00"}}
    assert (leg["open_before"], leg["open_after"]) == (2, 0)
    assert result.total["new_matches"] == 1
    new = next(e for e in result.examples if e["kind"] == "new_match")
    assert new["item_id"] == "L1" and new["item_ref"] == "ref-L1"
    assert new["amount"] == "-151.00"
    assert (new["state_before"], new["state_after"]) == ("PARTIAL/AMOUNT_MISMATCH", "MATCHED")
    assert new["match_before"]["status"] == "PARTIAL"
    assert new["match_after"]["rule"] == "loose_amount"


def test_a_match_that_falls_apart_is_lost() -> None:
    before = books(
        [match("m1", ["L1"], ["P1"])],
        [item("L1", "MATCHED", match_id="m1"), item("P1", "MATCHED", match_id="m1")],
    )
    after = books(
        [],
        [
            item("L1", "EXCEPTION", "MISSING_COUNTERPART"),
            item("P1", "EXCEPTION", "MISSING_COUNTERPART"),
        ],
    )
    result = diff(before, after)
    leg = result.legs[LEG]
    assert (leg["new_matches"], leg["lost_matches"], leg["changed_matches"]) == (0, 1, 0)
    assert leg["state_changes"] == {"MATCHED->EXCEPTION/MISSING_COUNTERPART": 2}
    lost = next(e for e in result.examples if e["kind"] == "lost_match")
    assert lost["match_before"]["match_id"] == "m1" and lost["match_after"] is None


def test_other_members_make_a_changed_match_not_a_new_and_a_lost_one() -> None:
    before = books(
        [match("m1", ["L1"], ["P1"])],
        [
            item("L1", "MATCHED", match_id="m1"),
            item("P1", "MATCHED", match_id="m1"),
            item("P2", "EXCEPTION", "MISSING_COUNTERPART"),
        ],
    )
    after = books(
        [match("m2", ["L1"], ["P2"])],
        [
            item("L1", "MATCHED", match_id="m2"),
            item("P1", "EXCEPTION", "MISSING_COUNTERPART"),
            item("P2", "MATCHED", match_id="m2"),
        ],
    )
    leg = diff(before, after).legs[LEG]
    assert (leg["new_matches"], leg["lost_matches"], leg["changed_matches"]) == (0, 0, 1)
    assert leg["state_changes"] == {
        "EXCEPTION/MISSING_COUNTERPART->MATCHED": 1,
        "MATCHED->EXCEPTION/MISSING_COUNTERPART": 1,
    }


def test_amounts_are_summed_per_currency_never_across() -> None:
    before = books([], [item("L1", "PENDING", amount="1.10"), item("L2", "PENDING", "", None)])
    after = books(
        [],
        [
            item("L1", "EXCEPTION", "MISSING_COUNTERPART", amount="1.10"),
            item("L2", "EXCEPTION", "MISSING_COUNTERPART", amount="2.00", currency="USD"),
        ],
    )
    amounts = diff(before, after).legs[LEG]["state_change_amounts"]
    assert amounts == {"PENDING->EXCEPTION/MISSING_COUNTERPART": {"EUR": "1.10", "USD": "2.00"}}


def test_at_most_twenty_examples_of_a_kind_largest_first() -> None:
    n = EXAMPLES + 5
    before = books([], [item(f"L{i:02d}", "PENDING", amount=f"{i}.00") for i in range(n)])
    after = books(
        [],
        [item(f"L{i:02d}", "EXCEPTION", "MISSING_COUNTERPART", amount=f"{i}.00") for i in range(n)],
    )
    result = diff(before, after)
    assert result.legs[LEG]["state_changes"] == {"PENDING->EXCEPTION/MISSING_COUNTERPART": n}
    shown = [e for e in result.examples if e["kind"] == "state_change"]
    assert len(shown) == EXAMPLES
    assert shown[0]["item_id"] == f"L{n - 1:02d}"


def test_labels() -> None:
    assert label("MATCHED", None) == "MATCHED"
    assert label("PARTIAL", "FEE_VARIANCE") == "PARTIAL/FEE_VARIANCE"
    assert label(None, None) == "ABSENT"
    assert label(float("nan"), float("nan")) == "ABSENT"


def test_examples_are_explained_from_gold_rows_where_explain_cannot_answer(
    tmp_path: Path,
) -> None:
    before = books(
        [match("m1", ["L1"], ["P1"], status="PARTIAL", rule="reference_with_break")],
        [
            item("L1", "PARTIAL", "AMOUNT_MISMATCH", "m1"),
            item("P1", "PARTIAL", "AMOUNT_MISMATCH", "m1"),
        ],
    )
    after = books(
        [match("m1", ["L1"], ["P1"], rule="loose_amount")],
        [item("L1", "MATCHED", None, "m1"), item("P1", "MATCHED", None, "m1")],
    )
    examples = diff(before, after).examples
    nowhere = str(tmp_path / "no-lakehouse")
    explain_examples(examples, nowhere, nowhere, date(2026, 11, 4), CONF_DIR / "rules.toml")
    new = next(e for e in examples if e["kind"] == "new_match")
    assert new["explanation"]["before"]["summary"] == (
        "PARTIAL (AMOUNT_MISMATCH) by rule reference_with_break with P1."
    )
    assert new["explanation"]["after"]["summary"] == "MATCHED by rule loose_amount with P1."
    right = next(e for e in examples if e["item_id"] == "P1")
    assert right["explanation"]["after"]["summary"].endswith("with L1.")
