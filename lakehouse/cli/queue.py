"""The exception queue: list it (no JVM) and work it (assign, comment, status, adjust).

Work decisions land as decision files like match and write-off: checked against gold,
applied by the next run, kept in silver; each command takes several items at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal

from lakehouse.cli._output import Subcommands, iso_date, print_table
from lakehouse.cli.decide import add_common, record

TABLE_COLUMNS = (
    "leg",
    "item_id",
    "severity",
    "status",
    "owner",
    "reason_code",
    "amount",
    "currency",
    "age_days",
    "due_at",
    "breached",
    "last_note",
)


def cmd_queue(args: argparse.Namespace) -> int:
    from lakehouse.config import load_settings
    from lakehouse.queue_view import (
        QueueFilter,
        as_csv,
        as_json,
        load,
        plain,
        select,
        totals,
    )

    settings = load_settings()
    queue = load(settings.storage.root, args.as_of)
    wanted = QueueFilter(
        leg=args.leg or "",
        partner=args.partner or "",
        reason=args.reason or "",
        severity=args.severity or "",
        owner=args.owner or "",
        status=args.status or "",
        breached=args.breached,
        resolved=args.resolved,
    )
    rows = select(queue.rows, wanted, [level.name for level in settings.queue.levels])
    if args.format == "json":
        document = {"as_of": queue.as_of, "totals": totals(rows), "rows": as_json(rows)}
        sys.stdout.write(json.dumps(document, indent=2, default=plain) + "\n")
    elif args.format == "csv":
        sys.stdout.write(as_csv(rows))
    else:
        shown = [{c: _cell(row.get(c)) for c in TABLE_COLUMNS} for row in rows[: args.limit]]
        title = f"{len(rows)} break(s) in the queue as of {queue.as_of or '-'}"
        print_table(shown, title=title)
    return 0


def _cell(value: object) -> object:
    from lakehouse.queue_view import plain

    text = plain(value)
    return text[:40] + "..." if isinstance(text, str) and len(text) > 43 else text


def _items(
    args: argparse.Namespace,
    action: str,
    reason: str,
    *,
    owner: str | None = None,
    status: str | None = None,
    amount: Decimal | None = None,
) -> int:
    from lakehouse.decisions import Decision

    decisions = [
        Decision(action, args.leg, reason, args.user, (), (), item, owner, status, amount)
        for item in args.item
    ]
    return record(args, decisions)


def cmd_assign(args: argparse.Namespace) -> int:
    reason = args.reason or f"assigned to {args.owner}"
    return _items(args, "assign", reason, owner=args.owner)


def cmd_comment(args: argparse.Namespace) -> int:
    return _items(args, "comment", args.text)


def cmd_status(args: argparse.Namespace) -> int:
    return _items(args, "status", args.reason or f"status {args.status}", status=args.status)


def cmd_adjust(args: argparse.Namespace) -> int:
    from lakehouse.decisions import parse_amount

    return _items(args, "adjust", args.reason, amount=parse_amount(args.amount))


def register(sub: Subcommands) -> None:
    from lakehouse.decisions import STATUSES

    p = sub.add_parser("queue", help="the exception queue: open breaks by severity and due time")
    p.add_argument("--owner", help="an owner, or '(unassigned)'")
    p.add_argument("--severity", help="e.g. critical (levels: [queue] in conf/lakehouse.toml)")
    p.add_argument("--breached", action="store_true", help="only breaks past their SLA")
    p.add_argument("--leg")
    p.add_argument("--partner")
    p.add_argument("--reason", help="reason code, e.g. AMOUNT_MISMATCH")
    p.add_argument("--status", choices=[*STATUSES, "RESOLVED"])
    p.add_argument("--resolved", action="store_true", help="also the breaks the run resolved")
    p.add_argument("--as-of", type=iso_date, dest="as_of", help="the queue as the books closed")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--limit", type=int, default=50, help="rows in the table format")
    p.set_defaults(func=cmd_queue)

    item_help = "item_id(s) from `lakehouse queue`"
    p = sub.add_parser("assign", help="give one or more breaks an owner")
    add_common(p, reason_required=False)
    p.add_argument("--item", nargs="+", required=True, help=item_help)
    p.add_argument("--owner", required=True)
    p.set_defaults(func=cmd_assign)

    p = sub.add_parser("comment", help="add a note to one or more breaks")
    add_common(p, reason=False)
    p.add_argument("--item", nargs="+", required=True, help=item_help)
    p.add_argument("--text", required=True, help="the note")
    p.set_defaults(func=cmd_comment)

    p = sub.add_parser("status", help="set the queue status of one or more breaks")
    add_common(p, reason_required=False)
    p.add_argument("--item", nargs="+", required=True, help=item_help)
    p.add_argument("--status", required=True, choices=list(STATUSES))
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("adjust", help="resolve breaks by an adjusting entry (amount and reason)")
    add_common(p)
    p.add_argument("--item", nargs="+", required=True, help=item_help)
    p.add_argument("--amount", required=True, help="the adjusting entry, e.g. -1.00 (exact)")
    p.set_defaults(func=cmd_adjust)
