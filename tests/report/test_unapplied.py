"""The report names the decisions a run could not apply (gold.decision_outcomes)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lakehouse.gold import decision_outcomes
from lakehouse.report import load_report_data, render_report
from tests.test_report import DAYS, build_gold
from tests.tiny_gold import write


def _outcome(decision_id: str, outcome: str, detail: str | None = None) -> dict:
    return {
        "decision_id": decision_id,
        "action": "write_off",
        "leg": "ledger_bank",
        "item_ids": ["LE-<b>GHOST</b>"],
        "decided_by": "alice",
        "decided_at": datetime(2026, 11, 3, 9, tzinfo=UTC),
        "reason": "typo?",
        "outcome": outcome,
        "detail": detail,
    }


def test_unapplied_decisions_are_listed_escaped(tmp_path):
    root = build_gold(tmp_path)
    ghost = _outcome("MD-1", "NOT_APPLIED", "not in gold.recon_items for leg ledger_bank")
    write(root, decision_outcomes.SPEC, [ghost, _outcome("MD-2", "APPLIED")], DAYS[-1])
    data = load_report_data(root=str(root))
    assert [r["decision_id"] for r in data.unapplied] == ["MD-1"]
    page = render_report(data)
    assert "1 decision(s) not applied" in page and "MD-2" not in page
    assert "LE-&lt;b&gt;GHOST&lt;/b&gt;" in page and "<b>GHOST" not in page


def test_without_decisions_the_report_says_all_were_applied(tmp_path):
    root = build_gold(tmp_path)
    page = render_report(load_report_data(date(2026, 11, 3), root=str(root)))
    assert "Every decision known by this day was applied." in page


def test_the_prefect_artifact_lists_the_same_decisions():
    from lakehouse.report.unapplied import unapplied_markdown

    text = unapplied_markdown([_outcome("MD-1", "NOT_APPLIED", "not in gold")], date(2026, 11, 4))
    assert text.splitlines()[0] == "# Decisions not applied as of 2026-11-04"
    assert "| MD-1 | write_off | ledger_bank | LE-<b>GHOST</b> | alice | not in gold |" in text
