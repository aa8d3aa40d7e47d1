"""lakehouse.explain over a tiny gold written with deltalake (no Spark): every state and
reason gets the sentence, criteria and candidates it should, as the books stood on D."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import CommitProperties, write_deltalake

from lakehouse.errors import LakehouseError
from lakehouse.explain import Explainer, explain
from lakehouse.explain.summary import shorten

D1, D = date(2026, 11, 2), date(2026, 11, 3)
MONEY = pa.decimal128(18, 2)
CRITERION = pa.struct(
    [
        pa.field("name", pa.string()),
        pa.field("passed", pa.bool_()),
        pa.field("left", pa.string()),
        pa.field("right", pa.string()),
        pa.field("limit", pa.string()),
    ]
)
ITEMS = pa.schema(
    [
        ("leg", pa.string()),
        ("item_id", pa.string()),
        ("side", pa.string()),
        ("partner", pa.string()),
        ("item_ref", pa.string()),
        ("business_date", pa.date32()),
        ("amount", MONEY),
        ("currency", pa.string()),
        ("reference", pa.string()),
        ("state", pa.string()),
        ("reason_code", pa.string()),
        ("match_id", pa.string()),
        ("rule", pa.string()),
    ]
)
MATCHES = pa.schema(
    [
        ("match_id", pa.string()),
        ("leg", pa.string()),
        ("rule", pa.string()),
        ("status", pa.string()),
        ("reason_code", pa.string()),
        ("left_ids", pa.list_(pa.string())),
        ("right_ids", pa.list_(pa.string())),
        ("confidence", pa.float64()),
        ("business_date", pa.date32()),
        ("criteria", pa.list_(CRITERION)),
    ]
)
CANDIDATES = pa.schema(
    [
        ("leg", pa.string()),
        ("item_id", pa.string()),
        ("rank", pa.int32()),
        ("side", pa.string()),
        ("candidate_id", pa.string()),
        ("rule", pa.string()),
        ("score", pa.float64()),
        ("failed", pa.int32()),
        ("criteria", pa.list_(CRITERION)),
    ]
)
DECISIONS = pa.schema(
    [
        ("decision_id", pa.string()),
        ("action", pa.string()),
        ("leg", pa.string()),
        ("item_id", pa.string()),
        ("reason", pa.string()),
        ("decided_by", pa.string()),
        ("decided_at", pa.timestamp("us")),
    ]
)
BANK = pa.schema(
    [
        ("bank_txn_id", pa.string()),
        ("bank_reference", pa.string()),
        ("return_reason", pa.string()),
        ("description", pa.string()),
    ]
)


def _c(name: str, passed: bool, left: str, right: str, limit: str) -> dict[str, Any]:
    return {"name": name, "passed": passed, "left": left, "right": right, "limit": limit}


def _tests(left: str = "150.00", right: str = "150.00", passed: bool = True) -> list[dict]:
    return [
        _c("keys", True, "RP-1", "RP-1", "reference = reference"),
        _c("date", True, "2026-11-02", "2026-11-03", "-1..5 days"),
        _c("amount", passed, left, right, "0.00"),
        _c("reference", True, "RP-1", "RP-1", "equals"),
        _c("currency", True, "EUR", "EUR", "equal"),
    ]


def _item(leg: str, item_id: str, side: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "leg": leg,
        "item_id": item_id,
        "side": side,
        "partner": "adyen",
        "item_ref": f"ref-{item_id}",
        "business_date": D1,
        "amount": Decimal("150.00"),
        "currency": "EUR",
        "reference": f"RP-{item_id}",
        "state": state,
        "reason_code": None,
        "match_id": None,
        "rule": None,
        **extra,
    }


def _match(match_id: str, leg: str, rule: str, status: str, left: str, right: str, **extra: Any):
    return {
        "match_id": match_id,
        "leg": leg,
        "rule": rule,
        "status": status,
        "reason_code": None,
        "left_ids": [left],
        "right_ids": [right],
        "confidence": 1.0,
        "business_date": D1,
        "criteria": _tests(),
        **extra,
    }


def _write(root: Path, name: str, schema: pa.Schema, rows: list[dict], day: date) -> None:
    layer, table = name.split(".")
    meta = json.dumps({"run_id": f"run-{day}", "as_of": day.isoformat(), "step": "test"})
    write_deltalake(
        str(root / layer / table),
        pa.Table.from_pylist(rows, schema=schema),
        mode="overwrite",
        commit_properties=CommitProperties(custom_metadata={"userMetadata": meta}),
    )


LP, LB = "ledger_partner", "ledger_bank"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> str:
    base = tmp_path_factory.mktemp("explain")
    # the run of D1: L2 still waits for its partner row
    _write(base, "gold.recon_items", ITEMS, [_item(LP, "L2", "left", "PENDING")], D1)
    items = [
        _item(LP, "L1", "left", "MATCHED", match_id="m1", rule="reference_and_amount"),
        _item(LP, "P1", "right", "MATCHED", match_id="m1", rule="reference_and_amount"),
        _item(
            LP,
            "L2",
            "left",
            "PARTIAL",
            reason_code="AMOUNT_MISMATCH",
            match_id="m2",
            rule="reference_with_break",
        ),
        _item(LP, "L3", "left", "PENDING", business_date=D, partner="stripe"),
        _item(LP, "L4", "left", "EXCEPTION", reason_code="MISSING_COUNTERPART"),
        _item(LP, "L5", "left", "EXCEPTION", reason_code="MISSING_COUNTERPART"),
        _item(LP, "L6", "left", "EXCEPTION", reason_code="DUPLICATE", reference="RP-L1"),
        _item(
            LP,
            "L7",
            "left",
            "EXCEPTION",
            reason_code="AMOUNT_MISMATCH",
            match_id="m7",
            rule="similar_reference_with_break",
        ),
        _item(
            LB,
            "A1",
            "left",
            "EXCEPTION",
            reason_code="RETURNED",
            match_id="r1",
            rule="nacha_return",
        ),
        _item(
            LB,
            "B5",
            "right",
            "EXCEPTION",
            reason_code="RETURNED",
            match_id="r1",
            rule="nacha_return",
        ),
        _item(LB, "B9", "right", "WRITTEN_OFF", rule="manual:write_off"),
        _item(LB, "M1", "left", "MATCHED", match_id="mm", rule="manual:MD-1"),
    ]
    _write(base, "gold.recon_items", ITEMS, items, D)
    matches = [
        _match("m1", LP, "reference_and_amount", "MATCHED", "L1", "P1"),
        _match(
            "m2",
            LP,
            "reference_with_break",
            "PARTIAL",
            "L2",
            "P2",
            reason_code="AMOUNT_MISMATCH",
            confidence=0.9933,
            criteria=_tests("150.00", "149.00", False),
        ),
        _match(
            "m7",
            LP,
            "similar_reference_with_break",
            "SUGGESTED",
            "L7",
            "P7",
            reason_code="AMOUNT_MISMATCH",
            confidence=0.94,
            criteria=_tests("150.00", "151.00", False),
        ),
        _match("r1", LB, "nacha_return", "REVERSED", "A1", "B5", reason_code="RETURNED"),
        _match("mm", LB, "manual:MD-1", "MATCHED", "M1", "B1", criteria=[]),
    ]
    _write(base, "gold.recon_matches", MATCHES, matches, D)
    near = _tests("150.00", "120.00", False)
    candidates = [
        {
            "leg": LP,
            "item_id": "L4",
            "rank": 1,
            "side": "left",
            "candidate_id": "P9",
            "rule": "reference_and_amount",
            "score": 0.8,
            "failed": 2,
            "criteria": near,
        },
        {
            "leg": LP,
            "item_id": "L5",
            "rank": 1,
            "side": "left",
            "candidate_id": None,
            "rule": None,
            "score": None,
            "failed": None,
            "criteria": None,
        },
    ]
    _write(base, "gold.recon_candidates", CANDIDATES, candidates, D)
    decisions = [
        {
            "decision_id": "MD-1",
            "action": "match",
            "leg": LB,
            "item_id": None,
            "reason": "same wire, bank split it",
            "decided_by": "ana",
            "decided_at": datetime(2026, 11, 3, 9, 30),
        },
        {
            "decision_id": "MD-2",
            "action": "write_off",
            "leg": LB,
            "item_id": "B9",
            "reason": "bank fee",
            "decided_by": "bo",
            "decided_at": datetime(2026, 11, 3, 10, 0),
        },
    ]
    _write(base, "silver.manual_decisions", DECISIONS, decisions, D)
    bank = [
        {
            "bank_txn_id": "B5",
            "bank_reference": "US0000000042",
            "return_reason": "R01",
            "description": "PPD LOAN PMT",
        }
    ]
    _write(base, "silver.bank_transactions", BANK, bank, D)
    return str(base)


def test_the_answer_is_the_contract(root: str) -> None:
    answer = explain(LP, "L1", root=root)
    assert list(answer) == [
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
    ]
    assert answer["as_of"] == D.isoformat() and answer["rule"] == "reference_and_amount"
    assert all(c["passed"] for c in answer["criteria"])
    assert answer["summary"].startswith("Matched with partner row P1 by rule reference_and_amount")
    json.dumps(answer)  # money and dates are plain strings


def test_item_ref_finds_the_item(root: str) -> None:
    assert explain(LP, "ref-L4", root=root)["item_id"] == "L4"


@pytest.mark.parametrize(
    ("leg", "item", "state", "reason", "words"),
    [
        (
            LP,
            "L2",
            "PARTIAL",
            "AMOUNT_MISMATCH",
            [
                "Partner row P2 has the same reference but is 1.00 EUR lower",
                "PARTIAL by rule reference_with_break",
            ],
        ),
        (LP, "L3", "PENDING", None, ["runs until 2026-11-04", "window of 1 day(s)"]),
        (
            LP,
            "L4",
            "EXCEPTION",
            "MISSING_COUNTERPART",
            ["No partner row matches it", "the nearest, P9,", "is 30.00 EUR lower"],
        ),
        (LP, "L5", "EXCEPTION", "MISSING_COUNTERPART", ["no candidate at all"]),
        (LP, "L6", "EXCEPTION", "DUPLICATE", ["already held by match m1 (L1, MATCHED)"]),
        (
            LP,
            "L7",
            "EXCEPTION",
            "AMOUNT_MISMATCH",
            ["Suggested, not booked", "lakehouse match --leg ledger_partner --left L7 --right P7"],
        ),
        (LB, "A1", "EXCEPTION", "RETURNED", ["Reversed by return US0000000042 (R01)"]),
        (LB, "B5", "EXCEPTION", "RETURNED", ["R-code R01 of entry A1"]),
        (
            LB,
            "B9",
            "WRITTEN_OFF",
            None,
            ["Written off by bo on 2026-11-03 10:00: bank fee (decision MD-2)"],
        ),
        (LB, "M1", "MATCHED", None, ["Matched by hand with B1 by ana", "same wire, bank split it"]),
    ],
)
def test_each_state_says_why(
    root: str, leg: str, item: str, state: str, reason: str | None, words: list[str]
) -> None:
    answer = explain(leg, item, root=root)
    assert (answer["state"], answer["reason_code"]) == (state, reason)
    for word in words:
        assert word in answer["summary"], answer["summary"]


def test_details_for_the_workbench(root: str) -> None:
    ex = Explainer(root=root)
    suggested = ex.explain(LP, "L7", details=True)["details"]
    assert suggested["suggested"] is True and suggested["counterpart_ids"] == ["P7"]
    assert ex.explain(LP, "L3", details=True)["details"]["pending_until"] == "2026-11-04"
    assert ex.explain(LP, "L6", details=True)["details"]["duplicate_of"] == {
        "match_id": "m1",
        "item_id": "L1",
    }
    assert ex.explain(LB, "A1", details=True)["details"]["return"]["return_reason"] == "R01"
    assert ex.explain(LB, "B9", details=True)["details"]["decision"]["decided_by"] == "bo"
    assert [a["item_id"] for a in ex.explain_many([(LP, "L4"), (LP, "L1")])] == ["L4", "L1"]


def test_as_of_answers_as_the_books_did(root: str) -> None:
    before = explain(LP, "L2", as_of=D1, root=root)
    assert (before["as_of"], before["state"]) == ("2026-11-02", "PENDING")


def test_unknown_items_and_legs_fail_in_one_line(root: str) -> None:
    with pytest.raises(LakehouseError, match="no item of leg ledger_partner has that item_id"):
        explain(LP, "nope", root=root)
    with pytest.raises(LakehouseError, match="is not one of"):
        explain("no_leg", "L1", root=root)
    assert Explainer(root=root).explain_many([(LP, "nope")], strict=False) == [None]


def test_no_gold_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(LakehouseError, match="run `lakehouse run`"):
        explain(LP, "L1", root=str(tmp_path))


def test_shorten() -> None:
    assert shorten("x" * 10, 8) == "xxxxx..." and shorten("short", 80) == "short"
