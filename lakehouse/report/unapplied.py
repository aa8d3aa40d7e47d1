"""The report's "Decisions not applied" section (gold.decision_outcomes, no JVM)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from lakehouse.lookup import try_open

OUTCOMES_TABLE = "gold.decision_outcomes"


def load_unapplied(as_of: date | None, root: str | None) -> list[dict[str, Any]]:
    """Decisions the run (as of ``as_of``, else the last) could not apply; [] when no
    decision was ever recorded."""
    table = try_open(OUTCOMES_TABLE, root, as_of)
    if table is None:
        return []
    rows = table.to_pyarrow_table().to_pylist()
    return sorted(
        (r for r in rows if r.get("outcome") == "NOT_APPLIED"),
        key=lambda r: (str(r.get("decided_at")), str(r.get("decision_id"))),
    )


def unapplied_section(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return '<p class="empty" id="unapplied">Every decision known by this day was applied.</p>'
    body = "".join(
        "<tr class='unapplied'>"
        + "".join(
            f"<td>{html.escape(str(value or '-'))}</td>"
            for value in (
                row.get("decision_id"),
                row.get("action"),
                row.get("leg"),
                ", ".join(row.get("item_ids") or []),
                row.get("decided_by"),
                row.get("detail"),
            )
        )
        + "</tr>"
        for row in rows
    )
    head = "".join(
        f"<th>{h}</th>" for h in ("Decision", "Action", "Leg", "Items", "By", "Why not applied")
    )
    return (
        f'<table id="unapplied" class="breaks"><caption>{len(rows)} decision(s) not applied '
        "(fix the ids or wait for the items; lakehouse audit --table decision_outcomes)"
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def unapplied_markdown(rows: Sequence[Mapping[str, Any]], as_of: date) -> str:
    """The same list for a Prefect artifact."""
    lines = [f"# Decisions not applied as of {as_of}", "", f"{len(rows)} decision(s).", ""]
    lines += ["| decision | action | leg | items | by | why |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {r['decision_id']} | {r['action']} | {r['leg']} | "
        f"{', '.join((r.get('item_ids') or [])[:5])} | {r.get('decided_by')} | {r.get('detail')} |"
        for r in rows[:200]
    ]
    return "\n".join(lines)
