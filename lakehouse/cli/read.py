"""Commands that only read (no JVM): exceptions, audit, history, score, inspect, report."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lakehouse.cli._output import (
    Subcommands,
    iso_date,
    money,
    non_negative,
    out,
    print_json,
    print_table,
)
from lakehouse.errors import LakehouseError
from lakehouse.explain.summary import shorten

EXCEPTION_COLUMNS = [
    "leg",
    "item_id",
    "item_ref",
    "state",
    "reason_code",
    "amount",
    "currency",
    "partner",
    "business_date",
    "age_days",
    "aging_bucket",
]


def cmd_exceptions(args: argparse.Namespace) -> int:
    from lakehouse.readers import read_table

    df = read_table("gold.recon_exceptions", as_of=args.as_of)
    if args.leg:
        df = df[df.leg == args.leg]
    if args.partner:
        df = df[df.partner == args.partner]
    if args.bucket:
        df = df[df.aging_bucket == args.bucket]
    if args.reason:
        df = df[df.reason_code == args.reason]
    if args.min_amount is not None:
        df = df[df.amount.abs() >= args.min_amount]
    df = df.sort_values(["age_days", "leg", "item_id"], ascending=[False, True, True])[
        EXCEPTION_COLUMNS
    ]
    shown = df if args.format in ("csv", "json") else df.head(args.limit)
    answers = _explanations(shown, args.as_of)
    if args.format == "json":
        print_json(answers)
        return 0
    shown = shown.assign(why=[shorten(a["summary"]) for a in answers])
    if args.format == "csv":
        shown.to_csv(sys.stdout, index=False)
    else:
        print_table(shown.to_dict("records"), title=f"{len(df)} open exception(s)")
    return 0


def _open_at(name: str, args: argparse.Namespace) -> Any:
    """The table at ``--as-of-version`` / ``--as-of`` (latest without either); a version
    the table does not have is one clear error."""
    from lakehouse.readers import open_table

    if args.as_of_version is None:
        return open_table(name, args.as_of)
    table = open_table(name)
    latest = table.version()
    if args.as_of_version > latest:
        raise LakehouseError(
            f"--as-of-version {args.as_of_version}: {name} has versions 0..{latest}; pick one "
            f"from `lakehouse history --table {name}`"
        )
    try:
        table.load_as_version(args.as_of_version)
    except Exception as exc:  # removed by VACUUM, or past log retention
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LakehouseError(
            f"--as-of-version {args.as_of_version}: {name} cannot be read at that version "
            f"({first}); versions older than [maintenance] audit_window_days may be gone"
        ) from None
    return table


def _explanations(df: Any, as_of: date | None) -> list[dict[str, Any]]:
    """The full explanation of each listed break (one scan per gold table)."""
    if df.empty:
        return []
    from lakehouse.explain import Explainer

    keys = list(zip(df.leg, df.item_id, strict=True))
    return Explainer(as_of).explain_many(keys)


def cmd_audit(args: argparse.Namespace) -> int:
    name = args.table if "." in args.table else f"gold.{args.table}"
    table = _open_at(name, args)
    data = table.to_pyarrow_table()
    rows = data.slice(0, args.limit).to_pylist()
    if args.json:
        print_json({"table": name, "version": table.version(), "rows": data.num_rows, "data": rows})
    else:
        print_table(rows, title=f"{name} at version {table.version()}: {data.num_rows} rows")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from lakehouse.readers import open_table

    name = args.table if "." in args.table else f"gold.{args.table}"
    rows = []
    for commit in open_table(name).history():
        meta = json.loads(commit.get("userMetadata") or "{}")
        metrics = commit.get("operationMetrics") or {}
        rows.append(
            {
                "version": commit.get("version"),
                "timestamp": datetime.fromtimestamp(commit["timestamp"] / 1000, UTC).isoformat(
                    timespec="seconds"
                ),
                "operation": commit.get("operation"),
                "as_of": meta.get("as_of"),
                "run_id": meta.get("run_id"),
                "step": meta.get("step"),
                "rows_written": metrics.get("numOutputRows"),
            }
        )
    if args.json:
        print_json(rows)
    else:
        print_table(rows, title=f"history of {name}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from lakehouse.score import score

    truth = Path(args.truth)
    if not (truth / "matches.csv").is_file():
        raise LakehouseError(
            f"--truth {args.truth}: no matches.csv there; give the folder "
            "`lakehouse generate --truth DIR` wrote (matches.csv and exceptions.csv)"
        )
    result = score(truth)
    if args.json:
        print_json(result)
        return 0
    rows = [{"scope": "overall", **result["overall"]}]
    rows += [{"scope": f"leg {k}", **v} for k, v in result["legs"].items()]
    rows += [{"scope": f"reason {k}", **v} for k, v in result["reason_codes"].items()]
    print_table(rows, title="precision / recall against the truth")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from lakehouse.bronze.inspect import inspect_file, render_text

    summary, code = inspect_file(Path(args.file))
    if args.json:
        print_json(summary)
    else:
        out.print(render_text(summary))
    return code


def cmd_report(args: argparse.Namespace) -> int:
    from lakehouse.report import write_report

    path = write_report(Path(args.out), args.date)
    out.print(f"report written to {path}")
    return 0


def register(sub: Subcommands) -> None:
    p = sub.add_parser("exceptions", help="list open breaks")
    p.add_argument("--leg")
    p.add_argument("--partner")
    p.add_argument("--bucket")
    p.add_argument("--reason")
    p.add_argument("--min-amount", type=money, dest="min_amount")
    p.add_argument("--as-of", type=iso_date, dest="as_of")
    p.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="table (with a short `why`), csv (every break, with `why`), or json (every "
        "break's full explanation, as `lakehouse explain --json`)",
    )
    p.add_argument("--limit", type=int, default=50, help="rows of the table format")
    p.set_defaults(func=cmd_exceptions)

    for name, func in (("audit", cmd_audit), ("history", cmd_history)):
        p = sub.add_parser(name, help=f"{name} of a table (time travel)")
        p.add_argument(
            "--table", required=True, help="e.g. recon_exceptions or silver.bank_balances"
        )
        p.add_argument("--json", action="store_true")
        if name == "audit":
            group = p.add_mutually_exclusive_group()
            group.add_argument("--as-of", type=iso_date, dest="as_of")
            group.add_argument("--as-of-version", type=non_negative, dest="as_of_version")
            p.add_argument("--limit", type=int, default=50)
        p.set_defaults(func=func)

    p = sub.add_parser("score", help="precision/recall of gold against a truth folder")
    p.add_argument("--truth", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("inspect", help="detect, parse and check one file (no Spark)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("report", help="write the HTML report")
    p.add_argument("--date", type=iso_date)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_report)
