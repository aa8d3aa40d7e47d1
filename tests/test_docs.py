"""The user documentation stays true to the code it describes (README.md, docs/)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from lakehouse.constants import REASON_CODES, STATES
from lakehouse.gold.rules import Leg, Returns, Rule

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs"
PAGES = [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_the_readme_stays_short() -> None:
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines < 150, f"README.md has {lines} lines; move details into docs/"


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, spaces as -, other punctuation but - and _
    dropped."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    return {
        "".join(c for c in h.lower().replace(" ", "-") if c.isalnum() or c in "-_")
        for h in headings
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_point_at_files_and_headings_that_exist(page: Path) -> None:
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        linked = page.parent / path if path else page
        assert linked.exists(), f"{page.name} links to missing {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked), f"{page.name} links to missing {target}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_hold_current_facts_not_history(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"\bsession \d", text, re.IGNORECASE), page.name
    assert not re.search(r"\bcommit [0-9a-f]{7,40}\b", text), page.name
    assert "before / after" not in text.lower() and "what changed" not in text.lower()


def test_rules_md_documents_every_state_reason_and_rule_field() -> None:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", text))
    for cls in (Rule, Leg, Returns):
        missing = {f.name for f in fields(cls)} - documented - {"name", "rules", "returns"}
        assert not missing, f"docs/rules.md does not describe {cls.__name__} fields {missing}"
    for word in (*STATES, *REASON_CODES):
        assert f"`{word}`" in text, f"docs/rules.md does not describe {word}"


def test_every_command_is_documented() -> None:
    import argparse

    from lakehouse.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    text = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
    missing = [name for name in sub.choices if f"lakehouse {name}" not in text]
    assert not missing, f"README.md / docs/ do not show how to use {missing}"
