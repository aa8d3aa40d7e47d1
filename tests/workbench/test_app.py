"""The workbench over a tiny lakehouse, through Starlette's test client (no browser):
pages, filters and totals, forms that record decisions, CSRF, token and host checks."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2, which this stack lacks
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from lakehouse.workbench.app import create_app
from lakehouse.workbench.security import Access, AccessError

BASE = "http://127.0.0.1:8765"
TOKEN = "s3cret-token-for-tests"


def client(settings, host: str = "127.0.0.1", token: str | None = None) -> TestClient:
    access = Access.create(host, token, "tester")
    return TestClient(create_app(settings, access), base_url=BASE, follow_redirects=False)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


def landed(settings) -> list[dict]:
    folder = Path(settings.storage.landing) / "manual_decisions"
    return [
        json.loads(line)
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_queue_lists_breaks_breached_first_with_exact_totals(lake):
    with client(lake) as web:
        page = web.get("/")
    assert page.status_code == 200
    html = page.text
    assert "<script" not in html
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    order = re.findall(r'data-item="([^"]+)"', html)
    assert order[0] == "LE-BIG" and set(order) == {"LE-BIG", "LE-SMALL", "BK-1", "LE-P"}
    assert "150,000.00" in html and "as of the run for 2026-11-04" in html
    # absolute amounts per currency: 150000 + 12.34 + 12.00 EUR, 99.99 USD
    assert "150,024.34 EUR" in html and "99.99 USD" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?severity=critical", {"LE-BIG"}),
        ("?owner=bob", {"LE-BIG"}),
        ("?owner=%28unassigned%29", {"LE-SMALL", "BK-1", "LE-P"}),
        ("?breached=1", {"LE-BIG"}),
        ("?leg=ledger_partner", {"LE-P"}),
        ("?partner=stripe", {"LE-P"}),
        ("?reason=AMOUNT_MISMATCH", {"LE-SMALL"}),
        ("?bucket=2-7", {"LE-SMALL", "BK-1", "LE-P"}),
        ("?as_of=2026-11-03", {"LE-BIG", "LE-SMALL"}),
    ],
)
def test_queue_filters(lake, query, expected):
    with client(lake) as web:
        html = web.get("/" + query).text
    assert set(re.findall(r'data-item="([^"]+)"', html)) == expected


def test_item_page_shows_facts_candidates_history_and_decisions(lake):
    with client(lake) as web:
        page = web.get("/item?leg=ledger_bank&item=LE-SMALL")
    assert page.status_code == 200
    html = page.text
    assert "AMOUNT_MISMATCH" in html and "12.34 EUR" in html
    # the nearest open item of the other side is offered for a match
    assert 'name="candidate" value="BK-1"' in html
    assert html.count("not in the queue") == 0 and "2026-11-03" in html
    with client(lake) as web:
        big = web.get("/item?leg=ledger_bank&item=LE-BIG").text
    assert "MD-000000000001" in big and "APPLIED" in big and "asked treasury" in big
    with client(lake) as web:
        assert web.get("/item?leg=ledger_bank&item=NOPE").status_code == 404


def test_a_form_records_the_decision_the_cli_would_and_shows_it_pending(lake):
    with client(lake) as web:
        token = csrf(web.get("/item?leg=ledger_bank&item=LE-SMALL").text)
        form = {"csrf": token, "leg": "ledger_bank", "item": "LE-SMALL", "action": "assign"}
        done = web.post("/decide", data={**form, "owner": "carol"})
        assert done.status_code == 303
        shown = web.get(done.headers["location"]).text
    [decision] = landed(lake)
    assert decision["action"] == "assign" and decision["owner"] == "carol"
    assert decision["decided_by"] == "tester" and decision["item_id"] == "LE-SMALL"
    # the day after the last run: the next run applies it
    assert decision["decided_at"].startswith("2026-11-05T")
    assert decision["decision_id"] in shown and "recorded, applied by the next run" in shown


def test_match_with_a_candidate_and_adjust_with_an_exact_amount(lake):
    with client(lake) as web:
        token = csrf(web.get("/item?leg=ledger_bank&item=LE-SMALL").text)
        base = {"csrf": token, "leg": "ledger_bank", "item": "LE-SMALL"}
        match = {**base, "action": "match", "candidate": "BK-1", "reason": "same payment"}
        assert web.post("/decide", data=match).status_code == 303
        adjust = {**base, "action": "adjust", "amount": "-0.34", "reason": "bank fee"}
        assert web.post("/decide", data=adjust).status_code == 303
    first, second = landed(lake)[:2] if landed(lake)[0]["action"] == "match" else landed(lake)[::-1]
    assert (first["left_ids"], first["right_ids"]) == (["LE-SMALL"], ["BK-1"])
    assert second["amount"] == "-0.34"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "adjust", "amount": "1.234", "reason": "x"}, "Amount"),
        ({"action": "assign", "owner": "<b>"}, "Owner may hold letters"),
        ({"action": "write_off", "reason": ""}, "Reason is required"),
        ({"action": "match", "candidate": "GHOST", "reason": "x"}, "GHOST is not an item of leg"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_lands(lake, fields, message):
    with client(lake) as web:
        token = csrf(web.get("/item?leg=ledger_bank&item=LE-SMALL").text)
        page = web.post(
            "/decide", data={"csrf": token, "leg": "ledger_bank", "item": "LE-SMALL", **fields}
        )
    assert page.status_code == 400
    assert message in page.text
    assert not (Path(lake.storage.landing) / "manual_decisions").exists()


def test_forms_without_the_session_csrf_token_are_refused(lake):
    form = {"leg": "ledger_bank", "item": "LE-SMALL", "action": "assign", "owner": "x"}
    with client(lake) as web:
        assert web.post("/decide", data={**form, "csrf": "guess"}).status_code == 403
        token = csrf(web.get("/").text)
        assert web.post("/decide", data={**form, "csrf": token + "x"}).status_code == 403
        cross = web.post("/decide", data={**form, "csrf": token}, headers={"origin": "http://evil"})
        assert cross.status_code == 403
    with client(lake) as other:  # another browser: its own session, the token is not valid
        assert other.post("/decide", data={**form, "csrf": token}).status_code == 403
    assert not (Path(lake.storage.landing) / "manual_decisions").exists()


def test_loopback_answers_loopback_host_names_only(lake):
    with client(lake) as web:
        assert web.get("/", headers={"host": "evil.example:8765"}).status_code == 400
        assert web.get("/", headers={"host": "localhost:8765"}).status_code == 200


def test_beyond_loopback_a_token_is_required():
    with pytest.raises(AccessError, match="set LAKEHOUSE_WORKBENCH_TOKEN"):
        Access.create("0.0.0.0", None, "tester")
    with pytest.raises(AccessError, match="shorter than 16"):
        Access.create("0.0.0.0", "short", "tester")


def test_signed_in_users_are_who_the_decisions_record(lake):
    with client(lake, host="0.0.0.0", token=TOKEN) as web:
        first = web.get("/")
        assert first.status_code == 303 and first.headers["location"].startswith("/login")
        token = csrf(web.get("/login").text)
        wrong = web.post("/login", data={"csrf": token, "user": "dana", "token": "nope"})
        assert wrong.status_code == 403 and "Wrong token" in wrong.text
        signed = web.post("/login", data={"csrf": token, "user": "dana", "token": TOKEN})
        assert signed.status_code == 303
        page = web.get("/item?leg=ledger_bank&item=BK-1")
        assert page.status_code == 200 and "dana" in page.text
        form = {"csrf": csrf(page.text), "leg": "ledger_bank", "item": "BK-1"}
        done = web.post("/decide", data={**form, "action": "comment", "text": "bank fee?"})
        assert done.status_code == 303
    [decision] = landed(lake)
    assert decision["decided_by"] == "dana" and decision["reason"] == "bank fee?"


def test_bulk_assign_records_one_file_for_the_selected_breaks(lake):
    with client(lake) as web:
        token = csrf(web.get("/").text)
        picks = ["ledger_bank|LE-SMALL", "ledger_bank|BK-1"]
        form = {"csrf": token, "action": "assign", "owner": "erin", "pick": picks, "back": "/"}
        done = web.post("/bulk", data=form)
        assert done.status_code == 303 and "recorded=" in done.headers["location"]
    files = list((Path(lake.storage.landing) / "manual_decisions").glob("*.jsonl"))
    assert len(files) == 1
    assert {(d["item_id"], d["owner"]) for d in landed(lake)} == {
        ("LE-SMALL", "erin"),
        ("BK-1", "erin"),
    }


def test_the_item_page_shows_the_explanation(lake, monkeypatch):
    answer = {
        "leg": "ledger_bank",
        "item_id": "LE-SMALL",
        "state": "PARTIAL",
        "summary": "Bank line BK-1 has the same reference but is 0.34 EUR lower.",
        "criteria": [
            {"name": "amount", "passed": False, "left": "12.34", "right": "12.00", "limit": "0.00"}
        ],
        "candidates": [
            {
                "item_id": "BK-1",
                "rule": "reference_with_break",
                "score": 0.97,
                "criteria": [
                    {"name": "keys", "passed": True, "left": "R", "right": "R", "limit": "equal"},
                    {
                        "name": "amount",
                        "passed": False,
                        "left": "12.34",
                        "right": "12.00",
                        "limit": "0.00",
                    },
                ],
            }
        ],
    }
    monkeypatch.setattr(
        "lakehouse.explain.explain",
        lambda leg, item, as_of=None, root=None, details=False: answer,
    )
    with client(lake) as web:
        html = web.get("/item?leg=ledger_bank&item=LE-SMALL").text
    assert "is 0.34 EUR lower" in html
    assert 'name="candidate" value="BK-1"' in html
    assert "amount: 12.34 vs 12.00 (limit 0.00)" in html and "keys:" not in html
