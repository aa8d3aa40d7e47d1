"""Operator decisions: match, unmatch, write-off (they land as files, like any feed)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime

from lakehouse.cli._output import Subcommands, iso_date, out
from lakehouse.constants import LEGS


def _decision(args: argparse.Namespace, action: str) -> int:
    from lakehouse.config import load_settings
    from lakehouse.decisions import record_decision

    decided_at = datetime.now(UTC)
    if args.date:
        decided_at = datetime.combine(args.date, decided_at.time(), UTC)
    record, where = record_decision(
        load_settings(),
        action,
        args.leg,
        reason=args.reason,
        user=args.user,
        left_ids=getattr(args, "left", None) or (),
        right_ids=getattr(args, "right", None) or (),
        item_id=getattr(args, "item", None),
        decided_at=decided_at,
    )
    out.print(
        f"recorded {action} {record['decision_id']} in {where}; it applies from the next "
        f"run for {decided_at.date()} on (lakehouse run --date {decided_at.date()})"
    )
    return 0


def _decision_command(action: str) -> Callable[[argparse.Namespace], int]:
    return lambda args: _decision(args, action)


def register(sub: Subcommands) -> None:
    for action in ("match", "unmatch", "write-off"):
        p = sub.add_parser(action, help=f"record a manual {action} decision")
        p.add_argument("--leg", required=True, choices=LEGS)
        if action == "write-off":
            p.add_argument("--item", required=True, help="item_id from `lakehouse exceptions`")
        else:
            p.add_argument("--left", nargs="+", required=True, help="left item ids")
            p.add_argument("--right", nargs="+", required=True, help="right item ids")
        p.add_argument("--reason", required=True)
        p.add_argument("--user", default=os.environ.get("USER", "operator"))
        p.add_argument("--date", type=iso_date, help="business date the decision is made on")
        p.set_defaults(func=_decision_command(action.replace("-", "_")))
