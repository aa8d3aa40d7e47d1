"""Operator decisions: match, unmatch, write-off (they land as files, like any feed).

Each command takes several items at once and writes them as one decision file; every
item is checked against gold first (``--force`` records items not arrived yet).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lakehouse.cli._output import Subcommands, iso_date, out
from lakehouse.constants import LEGS

if TYPE_CHECKING:
    from lakehouse.decisions import Decision


def record(args: argparse.Namespace, decisions: Sequence[Decision]) -> int:
    """Record ``decisions`` as one file and say where, and from which run they apply."""
    from lakehouse.config import load_settings
    from lakehouse.decisions import next_run_time, record_decisions

    settings = load_settings()
    decided_at = next_run_time(settings)
    if args.date:
        decided_at = datetime.combine(args.date, datetime.now(UTC).timetz())
    records, where = record_decisions(settings, decisions, decided_at=decided_at, force=args.force)
    ids = ", ".join(f"{r['action']} {r['decision_id']}" for r in records[:5])
    more = f" and {len(records) - 5} more" if len(records) > 5 else ""
    day = decided_at.date()
    out.print(
        f"recorded {len(records)} decision(s) ({ids}{more}) in {where}; the next run applies "
        f"them (lakehouse run --date {day})",
        soft_wrap=True,
    )
    return 0


def add_common(
    p: argparse.ArgumentParser, *, reason: bool = True, reason_required: bool = True
) -> None:
    """--leg, --reason, --user, --date and --force: what every decision command takes."""
    p.add_argument("--leg", required=True, choices=LEGS)
    if reason:
        p.add_argument(
            "--reason", required=reason_required, help="why (kept with the decision for audit)"
        )
    p.add_argument("--user", default=os.environ.get("USER", "operator"), help="who decides")
    p.add_argument(
        "--date",
        type=iso_date,
        help="business date the decision takes effect (default: the day after the last run)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="record it even for items gold does not hold yet (not arrived)",
    )


def _pair(args: argparse.Namespace, action: str) -> int:
    from lakehouse.decisions import Decision

    decision = Decision(
        action, args.leg, args.reason, args.user, tuple(args.left), tuple(args.right)
    )
    return record(args, [decision])


def _write_off(args: argparse.Namespace) -> int:
    from lakehouse.decisions import Decision

    return record(
        args,
        [Decision("write_off", args.leg, args.reason, args.user, item_id=i) for i in args.item],
    )


def _pair_command(action: str) -> Callable[[argparse.Namespace], int]:
    return lambda args: _pair(args, action)


def register(sub: Subcommands) -> None:
    for action in ("match", "unmatch"):
        p = sub.add_parser(
            action, help=f"record a manual {action} of left items with right items (one N:M)"
        )
        add_common(p)
        p.add_argument("--left", nargs="+", required=True, help="left item ids")
        p.add_argument("--right", nargs="+", required=True, help="right item ids")
        p.set_defaults(func=_pair_command(action))

    p = sub.add_parser("write-off", help="record write-offs of one or more open items")
    add_common(p)
    p.add_argument("--item", nargs="+", required=True, help="item_id(s) from `lakehouse queue`")
    p.set_defaults(func=_write_off)
