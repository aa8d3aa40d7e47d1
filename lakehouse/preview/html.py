"""The preview's diff as one self-contained HTML page (``lakehouse preview --html OUT``).

Built from the report's pieces (:mod:`lakehouse.report`: style sheet, content policy,
escaping, number formats, atomic write): no external reference, no script, all data
text escaped; money is shown from the exact decimal strings of the JSON document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lakehouse.preview.diff import KINDS
from lakehouse.report import esc, fmt_int, fmt_money, fmt_rate, page_head, write_page

TITLES = {
    "new_match": "New matches",
    "lost_match": "Lost matches",
    "changed_match": "Matches with other members",
    "state_change": "Items whose state or reason changed",
}
EXTRA_CSS = """
.banner { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 10px 14px;
  margin-top: 14px; }
.banner.same { border-color: #8fc79a; } .banner.changed { border-color: #e3a857; }
table.breaks td.why { white-space: normal; max-width: 420px; }
.crit { color: #5b6474; font-size: 12px; } .crit .fail { color: #b30000; font-weight: 600; }
"""


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], caption: str, table_id: str) -> str:
    """A table of already-escaped cells; numeric columns are marked by a leading ``#``."""
    cells = "".join(
        f"<th class='num'>{esc(h[1:])}</th>" if h.startswith("#") else f"<th>{esc(h)}</th>"
        for h in head
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{c}</td>" if h.startswith("#") else f"<td>{c}</td>"
            for h, c in zip(head, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<table id="{esc(table_id)}" class="breaks"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"
    )


def _money(amounts: Mapping[str, str]) -> str:
    return "<br>".join(
        f"{esc(ccy)} {esc(fmt_money(Decimal(value)))}" for ccy, value in sorted(amounts.items())
    )


def _legs(doc: Mapping[str, Any]) -> str:
    rows = [
        [
            esc(name),
            *(
                esc(fmt_int(leg[k]))
                for k in ("new_matches", "lost_matches", "changed_matches", "open_before")
            ),
            esc(fmt_int(leg["open_after"])),
        ]
        for name, leg in [*doc["legs"].items(), ("total", doc["total"])]
    ]
    head = ["Leg", "#New matches", "#Lost", "#Changed", "#Open before", "#Open after"]
    return _table(head, rows, "Matches and open breaks per leg", "preview-legs")


def _state_changes(doc: Mapping[str, Any]) -> str:
    rows = []
    for name, leg in doc["legs"].items():
        for change, count in leg["state_changes"].items():
            start, _, end = change.partition("->")
            amounts = leg["state_change_amounts"].get(change, {})
            rows.append([esc(name), esc(start), esc(end), esc(fmt_int(count)), _money(amounts)])
    if not rows:
        return '<p class="empty" id="preview-states">No item changes state or reason.</p>'
    head = ["Leg", "From", "To", "#Items", "#Amount"]
    return _table(head, rows, "State and reason changes (absolute amounts)", "preview-states")


def _truth(doc: Mapping[str, Any]) -> str:
    truth = doc.get("truth")
    if not truth:
        return ""
    before, after = truth["before"], truth["after"]
    picks = (
        ("precision", None, "precision"),
        ("recall", None, "recall"),
        ("match precision", "matches", "precision"),
        ("match recall", "matches", "recall"),
        ("break precision", "exceptions", "precision"),
        ("break recall", "exceptions", "recall"),
    )
    rows = [
        [
            esc(label),
            *(esc(fmt_rate((q[part] if part else q)[key])) for q in (before, after)),
        ]
        for label, part, key in picks
    ]
    table = _table(["Against the truth", "#Before", "#After"], rows, "", "preview-truth")
    return f"<h2>Matching quality</h2>{table}"


def _why(answer: Mapping[str, Any] | None) -> str:
    if not answer:
        return "&ndash;"
    text = esc(answer.get("summary", ""))
    criteria = answer.get("criteria") or []
    if criteria:
        parts = [
            f"<span class='{'ok' if c.get('passed') else 'fail'}'>{esc(c.get('name'))}"
            f" {esc(c.get('left'))} / {esc(c.get('right'))} ({esc(c.get('limit'))})</span>"
            for c in criteria
        ]
        text += f"<div class='crit'>{'; '.join(parts)}</div>"
    return text


def _examples(doc: Mapping[str, Any]) -> str:
    sections = []
    for kind in KINDS:
        shown = [e for e in doc["examples"] if e["kind"] == kind]
        if not shown:
            continue
        rows = [
            [
                esc(e["leg"]),
                esc(e.get("item_ref") or e["item_id"]),
                esc(f"{e.get('currency') or ''} {fmt_money(Decimal(e['amount']))}")
                if e.get("amount") is not None
                else "&ndash;",
                esc(f"{e['state_before']} -> {e['state_after']}"),
                _why(e.get("explanation", {}).get("before")),
                _why(e.get("explanation", {}).get("after")),
            ]
            for e in shown
        ]
        head = ["Leg", "Item", "#Amount", "State", "Before", "After"]
        sections.append(
            f"<h3>{esc(TITLES[kind])}</h3>"
            + _table(head, rows, f"{len(shown)} example(s)", f"examples-{kind}")
        )
    return "".join(sections) or '<p class="empty">No examples: nothing changed.</p>'


def render(doc: Mapping[str, Any], generated_at: datetime | None = None) -> str:
    stamp = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    title = f"Rule preview of {doc['rules']}: {doc['start']} to {doc['end']}"
    same = doc["unchanged"]
    banner = (
        "These rules give the same books as the rules that ran."
        if same
        else "These rules change the books: see below."
    )
    preview = doc.get("preview", {})
    return f"""{page_head(title, "lakehouse preview", css=EXTRA_CSS)}
<header>
<h1>{esc(title)}</h1>
<p>Generated {esc(stamp)} &middot; preview {esc(preview.get("id", "-"))} &middot;
{len(doc.get("days", []))} day(s) replayed</p>
</header>
<div class="banner {"same" if same else "changed"}" id="preview-verdict">{esc(banner)}</div>
<h2>Per leg</h2>
{_legs(doc)}
<h2>State changes</h2>
{_state_changes(doc)}
{_truth(doc)}
<h2>Examples</h2>
{_examples(doc)}
<footer>The books after are the scratch gold the preview wrote
({esc(preview.get("scratch", "-"))}); the books before are gold as of {esc(doc["end"])}.
Amounts are absolute values per currency; examples are the largest by amount.</footer>
</body>
</html>
"""


def write_html(out: Path, doc: Mapping[str, Any]) -> Path:
    return write_page(out, render(doc))
