"""Operator decisions (JSON lines) parser."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats import get_parser
from lakehouse.bronze.formats.base import MANUAL_DECISION_COLUMNS, FileRejected
from lakehouse.bronze.formats.manual_decisions import parse as parse_unchecked
from tests.bronze.formats.invariants import assert_invariants, checked

parse = checked(parse_unchecked)

MATCH: dict[str, Any] = {
    "decision_id": "d-0001",
    "action": "match",
    "leg": "partner_bank",
    "left_ids": ["adyen:112:8515131751004933", "adyen:112:8515131751004941"],
    "right_ids": ["bank:2024-03-05:7"],
    "item_id": None,
    "reason": "batch 112 paid in one credit",
    "decided_by": "alice@example.com",
    "decided_at": "2024-03-06T10:00:00Z",
}
WRITE_OFF: dict[str, Any] = {
    **MATCH,
    "decision_id": "d-0002",
    "action": "write_off",
    "left_ids": [],
    "right_ids": [],
    "item_id": "exc-77",
    "reason": "rounding",
}


def lines(*documents: dict[str, Any]) -> bytes:
    return "".join(json.dumps(d) + "\n" for d in documents).encode()


def test_decisions_are_parsed() -> None:
    parsed = parse(
        lines(MATCH, WRITE_OFF, {**MATCH, "decision_id": "d-3", "action": "unmatch"}), "d.jsonl"
    )
    assert parsed.format == "manual_decisions"
    assert parsed.columns == MANUAL_DECISION_COLUMNS
    assert parsed.quarantine == []
    first = parsed.rows[0].values
    assert first["left_ids"] == "adyen:112:8515131751004933,adyen:112:8515131751004941"
    assert first["right_ids"] == "bank:2024-03-05:7"
    assert first["item_id"] is None
    assert first["decided_at"] == "2024-03-06T10:00:00Z"
    assert set(first) == set(MANUAL_DECISION_COLUMNS)
    second = parsed.rows[1].values
    assert (second["left_ids"], second["right_ids"], second["item_id"]) == (None, None, "exc-77")
    assert parsed.entries == 3
    assert parsed.totals == {"count:match": "1", "count:unmatch": "1", "count:write_off": "1"}
    assert parsed.warnings == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"action": "approve"}, 'action "approve" is not one of match, unmatch, write_off'),
        ({"action": None}, "action null is not one of"),
        ({"left_ids": "a,b"}, "left_ids must be a JSON array"),
        ({"right_ids": [None]}, "right_ids holds null"),
        ({"right_ids": ["a,b"]}, "comma-free"),
        ({"right_ids": [""]}, "non-empty"),
        ({"decided_by": ""}, "decided_by is blank"),
        ({"decision_id": 7}, "decision_id must be a string or null"),
        ({"decided_at": "06/03/2024"}, "decided_at '06/03/2024' is not an ISO-8601 timestamp"),
        ({"reason": ["x"]}, "reason must be a string or null"),
        ({"action": "adjust", "amount": 1.5}, "amount 1.5 must be a decimal string"),
        ({"action": "adjust", "amount": "1.005"}, "not a decimal with at most 2 places"),
        ({"action": "status", "status": "RESOLVED"}, 'status "RESOLVED" is not one of OPEN'),
        ({"action": "assign", "owner": 7}, "owner must be a string or null"),
    ],
)
def test_bad_line_is_quarantined(change: dict[str, Any], reason: str) -> None:
    parsed = parse(lines(MATCH, {**MATCH, **change}), "d.jsonl")
    assert [row.row_number for row in parsed.rows] == [1]
    [quarantined] = parsed.quarantine
    assert quarantined.row_number == 2
    assert reason in quarantined.reason


def test_queue_keys_are_optional_and_kept_when_given() -> None:
    assign = {**WRITE_OFF, "decision_id": "d-9", "action": "assign", "owner": "bob"}
    adjust = {**WRITE_OFF, "decision_id": "d-10", "action": "adjust", "amount": "-1.50"}
    parsed = parse(lines(MATCH, assign, adjust), "d.jsonl")
    assert parsed.quarantine == []
    values = [row.values for row in parsed.rows]
    assert [(v["owner"], v["status"], v["amount"]) for v in values] == [
        (None, None, None),
        ("bob", None, None),
        (None, None, "-1.50"),
    ]


def test_missing_keys_are_named() -> None:
    incomplete = {k: v for k, v in MATCH.items() if k not in ("leg", "decided_by")}
    parsed = parse(lines(MATCH, incomplete), "d.jsonl")
    assert parsed.quarantine[0].reason == "missing key(s): leg, decided_by"


def test_line_that_is_not_json_is_quarantined_after_a_good_first_line() -> None:
    data = lines(MATCH) + b'{"decision_id": "d-9", oops\n[1, 2]\n' + lines(WRITE_OFF)
    parsed = parse(data, "d.jsonl")
    assert [row.row_number for row in parsed.rows] == [1, 4]
    assert [q.row_number for q in parsed.quarantine] == [2, 3]
    assert parsed.quarantine[0].reason.startswith("not valid JSON")
    assert parsed.quarantine[0].raw == '{"decision_id": "d-9", oops'
    assert parsed.quarantine[1].reason == "not a JSON object but list"


def test_integer_ids_are_kept_as_text_and_extra_keys_warn() -> None:
    parsed = parse(lines({**MATCH, "left_ids": [12, 13], "ticket": "OPS-1"}), "d.jsonl")
    assert parsed.rows[0].values["left_ids"] == "12,13"
    assert parsed.warnings == ["keys ignored: ticket"]


def test_unicode_line_separators_inside_strings_do_not_split_lines() -> None:
    data = (
        json.dumps({**MATCH, "reason": "two\u2028lines\x85here"}, ensure_ascii=False) + "\n"
    ).encode()
    parsed = parse(data, "d.jsonl")
    assert parsed.quarantine == []
    assert parsed.rows[0].values["reason"] == "two\u2028lines\x85here"


def test_repeated_decision_id_warns() -> None:
    parsed = parse(lines(MATCH, MATCH), "d.jsonl")
    assert parsed.warnings == ["decision_id repeated: d-0001"]


def test_blank_lines_bom_and_crlf() -> None:
    data = (
        b"\xef\xbb\xbf\r\n"
        + lines(MATCH).replace(b"\n", b"\r\n")
        + b"\r\n  \r\n"
        + lines(WRITE_OFF)
    )
    parsed = parse(data, "d.jsonl")
    assert [row.row_number for row in parsed.rows] == [1, 2]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"\n \n", "empty file"),
        (b"decision_id,action\n", "first line: not valid JSON"),
        (b"[1,2]\n", "first line: not a JSON object"),
        (b'{"a": "\xff"}\n', "not UTF-8"),
    ],
)
def test_not_a_decisions_file_is_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected) as info:
        parse(data, "d.jsonl")
    assert reason in info.value.reason
    assert info.value.path == "d.jsonl"


def test_registry_returns_this_parser() -> None:
    assert get_parser("manual_decisions") is parse_unchecked


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000))
def test_random_bytes_parse_or_reject(data: bytes) -> None:
    assert_invariants(parse, data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(
        st.dictionaries(st.sampled_from(MANUAL_DECISION_COLUMNS), JSON_VALUES), max_size=8
    )
)
def test_any_json_values_give_rows_or_quarantine(changes: list[dict[str, Any]]) -> None:
    parsed = parse(lines(MATCH, *({**MATCH, **change} for change in changes)), "d.jsonl")
    assert parsed.rows_read == parsed.entries == len(changes) + 1
    for row in parsed.rows:
        assert row.values["action"] in ("match", "unmatch", "write_off")
        assert all(value is None or isinstance(value, str) for value in row.values.values())
