"""``lakehouse preview``: what a changed rules file would have changed over past days."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lakehouse.cli._output import (
    Subcommands,
    console,
    iso_date,
    out,
    print_json,
    print_table,
    progress,
)
from lakehouse.errors import LakehouseError

SHOWN = 5  # examples of each kind printed; --json and --html hold all of them


def _leg_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, leg in [*doc["legs"].items(), ("total", doc["total"])]:
        rows.append(
            {
                "leg": name,
                "new matches": leg["new_matches"],
                "lost matches": leg["lost_matches"],
                "changed matches": leg["changed_matches"],
                "items changed": sum(leg["state_changes"].values()),
                "open before": leg["open_before"],
                "open after": leg["open_after"],
            }
        )
    return rows


def _change_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "leg": name,
            "from -> to": change,
            "items": count,
            "amount": ", ".join(
                f"{ccy} {value}" for ccy, value in leg["state_change_amounts"][change].items()
            ),
        }
        for name, leg in doc["legs"].items()
        for change, count in leg["state_changes"].items()
    ]


def _print(doc: dict[str, Any]) -> None:
    title = f"Preview of {doc['rules']} over {doc['start']}..{doc['end']}"
    print_table(_leg_rows(doc), title=title)
    if doc["unchanged"]:
        out.print("No changes: these rules give the same matches and item states.")
    else:
        print_table(_change_rows(doc), title="state and reason changes (absolute amounts)")
    if doc["truth"]:
        before, after = doc["truth"]["before"], doc["truth"]["after"]
        out.print(
            f"against the truth: precision {before['precision']:.4f} -> {after['precision']:.4f}, "
            f"recall {before['recall']:.4f} -> {after['recall']:.4f}"
        )
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for example in doc["examples"]:
        by_kind.setdefault(example["kind"], []).append(example)
    for kind, examples in by_kind.items():
        out.print(f"\n{kind.replace('_', ' ')} (first {min(SHOWN, len(examples))}):")
        for e in examples[:SHOWN]:
            after = e["explanation"]["after"].get("summary", "")
            amount = f" {e['currency']} {e['amount']}" if e.get("amount") else ""
            out.print(
                f"  {e['leg']} {e.get('item_ref') or e['item_id']}{amount}: "
                f"{e['state_before']} -> {e['state_after']}. {after}",
                markup=False,
                highlight=False,
            )


def _list(settings: Any) -> int:
    from lakehouse.preview.scratch import home, listed

    rows = [
        {
            "id": preview_id,
            "rules": m.rules if m else "?",
            "days": f"{m.start}..{m.end}" if m else "?",
            "created": m.created_at.isoformat() if m else "?",
            "status": m.status if m else "no preview.json",
        }
        for preview_id, m in listed(settings)
    ]
    print_table(rows, title=f"previews under {home(settings)}")
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from lakehouse.config import load_settings

    settings = load_settings()
    if args.list:
        return _list(settings)
    if args.drop:
        from lakehouse.preview.scratch import drop

        console.log(f"removed preview {args.drop} ({drop(settings, args.drop)})")
        return 0
    if args.rules is None or args.start is None or args.end is None:
        raise LakehouseError(
            "lakehouse preview needs --rules FILE --start D1 --end D2 (or --drop ID, or --list)"
        )
    from lakehouse.preview.run import Request, run_preview

    request = Request(
        Path(args.rules),
        args.start,
        args.end,
        Path(args.truth) if args.truth else None,
        args.scratch,
        args.cleanup,
    )
    doc = run_preview(request, settings, progress=progress)
    if args.html:
        from lakehouse.preview.html import write_html

        console.log(f"HTML diff written to {write_html(Path(args.html), doc)}")
    if args.json:
        print_json(doc)
    else:
        _print(doc)
    preview = doc["preview"]
    if preview["kept"]:
        console.log(
            f"scratch gold kept under {preview['scratch']}; remove it with "
            f"`lakehouse preview --drop {preview['id']}`"
        )
    return 0


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "preview",
        help="replay past days with another rules file and diff it against gold",
        description=(
            "Reconcile each day of --start..--end again with the rules of --rules, from "
            "silver as that day's run read it, into a scratch gold (never the real one), "
            "and list what would have changed."
        ),
    )
    p.add_argument("--rules", help="the rules file to preview (checked like conf/rules.toml)")
    p.add_argument("--start", type=iso_date, help="first business day to replay")
    p.add_argument("--end", type=iso_date, help="last business day to replay")
    p.add_argument("--truth", help="a generator truth folder: precision/recall before and after")
    p.add_argument("--json", action="store_true", help="print the diff as JSON")
    p.add_argument("--html", metavar="OUT", help="also write the diff as one HTML page")
    p.add_argument("--scratch", help="where to write the scratch gold (default <root>/_preview/ID)")
    p.add_argument("--cleanup", action="store_true", help="remove the scratch gold at the end")
    p.add_argument("--drop", metavar="ID", help="remove the scratch gold of preview ID")
    p.add_argument("--list", action="store_true", help="list the previews kept")
    p.set_defaults(func=cmd_preview)
