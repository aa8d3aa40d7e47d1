"""Flow: preview a rules file over past days (not scheduled; trigger it from the UI).

The same parameters as ``lakehouse preview``: the rules file, the first and last day,
a truth folder, and whether to remove the scratch gold at the end. The diff is the
flow's result (the JSON document of docs/preview.md) and a markdown artifact; the
HTML page is written when ``html`` names a file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.common import parse_day, settings_and_spark
from lakehouse.preview.run import Request, check, run_preview


def markdown(doc: dict[str, Any]) -> str:
    """The diff per leg as a markdown table, then the state changes."""
    lines = [
        f"# Rule preview of `{doc['rules']}`, {doc['start']} to {doc['end']}",
        "",
        "**Unchanged**: these rules give the same books."
        if doc["unchanged"]
        else "**Changed**: these rules change the books.",
        "",
        "| leg | new matches | lost | changed | open before | open after |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, leg in [*doc["legs"].items(), ("total", doc["total"])]:
        lines.append(
            f"| {name} | {leg['new_matches']} | {leg['lost_matches']} | "
            f"{leg['changed_matches']} | {leg['open_before']} | {leg['open_after']} |"
        )
    changes = [
        f"| {name} | {change} | {n} | "
        + ", ".join(f"{c} {v}" for c, v in leg["state_change_amounts"][change].items())
        + " |"
        for name, leg in doc["legs"].items()
        for change, n in leg["state_changes"].items()
    ]
    if changes:
        lines += ["", "| leg | from -> to | items | amount |", "|---|---|---:|---|", *changes]
    if doc["truth"]:
        before, after = doc["truth"]["before"], doc["truth"]["after"]
        lines += [
            "",
            f"Against the truth: precision {before['precision']} -> {after['precision']}, "
            f"recall {before['recall']} -> {after['recall']}.",
        ]
    return "\n".join(lines) + "\n"


@task(name="preview-rules")
def preview_task(request: Request) -> dict[str, Any]:
    settings, spark = settings_and_spark()
    return run_preview(request, settings, spark, get_run_logger().info)


@flow(name="preview")
def preview(
    rules: str,
    start: date | str,
    end: date | str,
    truth: str | None = None,
    cleanup: bool = False,
    html: str | None = None,
) -> dict[str, Any]:
    """Replay ``start`` .. ``end`` with the rules of ``rules`` into a scratch gold and
    diff it against gold (never written)."""
    request = Request(
        Path(rules), parse_day(start), parse_day(end), Path(truth) if truth else None, None, cleanup
    )
    check(request)  # a bad rules file fails before a task or Spark starts
    doc = preview_task(request)
    create_markdown_artifact(
        markdown(doc), key="rule-preview", description=f"Rule preview of {rules}"
    )
    if html:
        from lakehouse.preview.html import write_html

        write_html(Path(html), doc)
    return doc
