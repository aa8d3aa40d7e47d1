"""``lakehouse explain``: why an item is matched, a break, pending or written off (no JVM)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from lakehouse.cli._output import Subcommands, iso_date, out, print_table
from lakehouse.constants import LEGS


def _criteria_rows(criteria: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "test": c["name"],
            "passed": "yes" if c["passed"] else "NO",
            "left": c["left"],
            "right": c["right"],
            "limit": c["limit"],
        }
        for c in criteria
    ]


def cmd_explain(args: argparse.Namespace) -> int:
    from lakehouse.explain import explain

    answer = explain(args.leg, args.item, as_of=args.as_of)
    if args.json:
        out.print(json.dumps(answer, indent=2, ensure_ascii=False), soft_wrap=True, markup=False)
        return 0
    head = f"{answer['leg']} {answer['item_id']} as of {answer['as_of']}: {answer['state']}"
    if answer["reason_code"]:
        head += f" {answer['reason_code']}"
    out.print(head, markup=False, highlight=False)
    out.print(answer["summary"], markup=False, highlight=False, soft_wrap=True)
    if answer["criteria"]:
        title = f"rule {answer['rule']}, confidence {answer['confidence']}"
        print_table(_criteria_rows(answer["criteria"]), title=title)
    for rank, candidate in enumerate(answer["candidates"], 1):
        title = (
            f"candidate {rank}: {candidate['item_id']} under rule {candidate['rule']}, "
            f"score {candidate['score']}"
        )
        print_table(_criteria_rows(candidate["criteria"]), title=title)
    return 0


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "explain", help="why an item is in its state: rule, each test, nearest candidates"
    )
    p.add_argument("--leg", required=True, choices=LEGS)
    p.add_argument(
        "--item",
        required=True,
        help="an item_id, or the item's item_ref (entry id, settlement id, bank reference)",
    )
    p.add_argument("--as-of", type=iso_date, dest="as_of", help="answer as the books did on D")
    p.add_argument("--json", action="store_true", help="the explanation as JSON")
    p.set_defaults(func=cmd_explain)
