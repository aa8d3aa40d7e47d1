"""``lakehouse``: the command line of the reconciliation lakehouse.

Long work (runs, backfills, demo) shows progress; every error names the input and
the fix and exits non-zero without a traceback. Read-only commands (exceptions,
audit, history, score, inspect) read Delta through ``deltalake``: no JVM starts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from lakehouse.errors import LakehouseError

console = Console(stderr=True)
# Wide enough for the summary tables also when the output is a file or a CI log.
out = Console(width=None if sys.stdout.isatty() else 160)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def _progress(message: str) -> None:
    console.log(message)


def _print_table(rows: Sequence[dict[str, Any]], title: str = "") -> None:
    if not rows:
        out.print(f"{title}: no rows" if title else "no rows")
        return
    table = Table(title=title or None)
    for column in rows[0]:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row.values()])
    out.print(table)


# ---- commands -----------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    from lakehouse.synthetic.generator import generate

    feeds = generate(
        args.seed,
        args.start,
        args.days,
        args.volume,
        Path(args.out),
        Path(args.truth) if args.truth else None,
        progress=_progress,
    )
    out.print(
        f"wrote {len(feeds.files)} files to {args.out}"
        + (f", truth to {args.truth}" if args.truth else "")
    )
    return 0


def _print_day(result: Any) -> None:
    from lakehouse.config import load_settings
    from lakehouse.gold.report_data import summary_rows
    from lakehouse.spark import get_spark

    settings = load_settings()
    rows = summary_rows(get_spark(settings), settings, result.as_of)
    _print_table(rows, title=f"Reconciliation as of {result.as_of} (run {result.run_id})")


def cmd_run(args: argparse.Namespace) -> int:
    from lakehouse.config import load_settings
    from lakehouse.pipeline import context, run_day, run_ingest, run_reconcile, run_refine
    from lakehouse.spark import get_spark

    settings = load_settings()
    with console.status(f"running {args.step} for {args.date} ..."):
        spark = get_spark(settings)
        if args.step == "all":
            result = run_day(args.date, settings, spark, progress=_progress)
            _print_day(result)
            return 0
        ctx = context(settings, args.date)
        steps: dict[str, Callable[..., Any]] = {
            "ingest": run_ingest,
            "refine": run_refine,
            "reconcile": run_reconcile,
        }
        outcome = steps[args.step](spark, ctx, _progress)
    out.print(
        outcome
        if not hasattr(outcome, "outcomes")
        else {s: outcome.count(s) for s in ("ingested", "rejected", "skipped")}
    )
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from lakehouse.config import load_settings
    from lakehouse.pipeline import days_between, run_day
    from lakehouse.spark import get_spark

    settings = load_settings()
    days = days_between(args.start, args.end)
    spark = get_spark(settings)
    for i, day in enumerate(days, 1):
        console.rule(f"day {i}/{len(days)}: {day}")
        result = run_day(day, settings, spark, progress=_progress)
        console.log(f"{day} done in {result.seconds['total']:.1f}s")
    _print_day(result)
    return 0


def _reset_demo_data(root: str, landing: str) -> None:
    for folder in (root, landing):
        if "://" not in folder and Path(folder).exists():
            shutil.rmtree(folder)


def cmd_demo(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from lakehouse.config import REPO_ROOT, load_settings
    from lakehouse.synthetic.generator import generate

    settings = load_settings()
    if not args.keep:
        _reset_demo_data(settings.storage.root, settings.storage.landing)
    truth = REPO_ROOT / "data" / "truth"
    start = args.start
    console.rule("1. generate synthetic feeds")
    generate(
        args.seed,
        start,
        args.days,
        args.volume,
        Path(settings.storage.landing),
        truth,
        progress=_progress,
    )
    console.rule("2. run daily_pipeline (Prefect) for each day")
    from flows.daily_pipeline import daily_pipeline

    for i in range(args.days):
        day = start + timedelta(days=i)
        console.log(f"daily_pipeline({day}) ...")
        daily_pipeline(day)
    console.rule("3. summary")
    from lakehouse.gold.report_data import summary_rows
    from lakehouse.spark import get_spark

    spark = get_spark(settings)
    last = start + timedelta(days=args.days - 1)
    for i in range(args.days):
        day = start + timedelta(days=i)
        _print_table(summary_rows(spark, settings, day), title=f"As of {day}")
    from lakehouse.score import score

    result = score(truth, settings.storage.root)
    out.print(
        f"Matching quality against the generator's truth: precision "
        f"{result['overall']['precision']:.4f}, recall {result['overall']['recall']:.4f}"
    )
    out.print(f"\nDelta tables under {settings.storage.root}/{{bronze,silver,gold}}/")
    out.print(
        'Read them without a JVM: python -c "import lakehouse as r; '
        "print(r.read_table('gold.recon_exceptions'))\""
    )
    out.print(f"Last business day: {last}; exceptions: lakehouse exceptions")
    return 0


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
    columns = [
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
    df = df.sort_values(["age_days", "leg", "item_id"], ascending=[False, True, True])[columns]
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False)
    else:
        _print_table(df.head(args.limit).to_dict("records"), title=f"{len(df)} open exception(s)")
    return 0


def _audit_version(args: argparse.Namespace) -> int | date | None:
    if args.as_of_version is not None:
        return int(args.as_of_version)
    return args.as_of  # type: ignore[no-any-return]


def cmd_audit(args: argparse.Namespace) -> int:
    from lakehouse.readers import open_table

    name = args.table if "." in args.table else f"gold.{args.table}"
    table = open_table(name, _audit_version(args))
    df = table.to_pandas()
    if args.json:
        out.print_json(
            data={
                "table": name,
                "version": table.version(),
                "rows": len(df),
                "data": json.loads(
                    df.head(args.limit).to_json(orient="records", date_format="iso")
                ),
            }
        )
    else:
        _print_table(
            df.head(args.limit).to_dict("records"),
            title=f"{name} at version {table.version()}: {len(df)} rows",
        )
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
        out.print_json(data=rows)
    else:
        _print_table(rows, title=f"history of {name}")
    return 0


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


def cmd_score(args: argparse.Namespace) -> int:
    from lakehouse.score import score

    result = score(Path(args.truth))
    if args.json:
        out.print_json(data={k: v for k, v in result.items()})
        return 0
    rows = [{"scope": "overall", **result["overall"]}]
    rows += [{"scope": f"leg {k}", **v} for k, v in result["legs"].items()]
    rows += [{"scope": f"reason {k}", **v} for k, v in result["reason_codes"].items()]
    _print_table(rows, title="precision / recall against the truth")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from lakehouse.bronze.inspect import inspect_file, render_text

    summary, code = inspect_file(Path(args.file))
    if args.json:
        out.print(json.dumps(summary, indent=2, default=str), soft_wrap=True)
    else:
        out.print(render_text(summary))
    return code


def cmd_report(args: argparse.Namespace) -> int:
    from lakehouse.report import write_report

    path = write_report(Path(args.out), args.date)
    out.print(f"report written to {path}")
    return 0


# ---- parser -------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakehouse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write synthetic feeds (and the truth) to a landing zone")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start", type=_date, default=date(2026, 11, 2))
    p.add_argument("--days", type=int, default=3)
    p.add_argument("--volume", type=int, default=200, help="ledger events per day")
    p.add_argument("--out", default="data/landing", help="landing folder")
    p.add_argument("--truth", default=None, help="folder for matches.csv and exceptions.csv")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("demo", help="generate a few days and run the whole pipeline")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start", type=_date, default=date(2026, 11, 2))
    p.add_argument("--days", type=int, default=3)
    p.add_argument("--volume", type=int, default=300)
    p.add_argument("--keep", action="store_true", help="keep existing data (default: start fresh)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="run one business day (or one step of it)")
    p.add_argument("--date", type=_date, required=True)
    p.add_argument("--step", choices=["all", "ingest", "refine", "reconcile"], default="all")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("backfill", help="run every day from --start to --end in order")
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("exceptions", help="list open breaks")
    p.add_argument("--leg")
    p.add_argument("--partner")
    p.add_argument("--bucket")
    p.add_argument("--reason")
    p.add_argument("--min-amount", type=float, dest="min_amount")
    p.add_argument("--as-of", type=_date, dest="as_of")
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_exceptions)

    for name, func in (("audit", cmd_audit), ("history", cmd_history)):
        p = sub.add_parser(name, help=f"{name} of a table (time travel)")
        p.add_argument(
            "--table", required=True, help="e.g. recon_exceptions or silver.bank_balances"
        )
        p.add_argument("--json", action="store_true")
        if name == "audit":
            group = p.add_mutually_exclusive_group()
            group.add_argument("--as-of", type=_date, dest="as_of")
            group.add_argument("--as-of-version", type=int, dest="as_of_version")
            p.add_argument("--limit", type=int, default=50)
        p.set_defaults(func=func)

    for action in ("match", "unmatch", "write-off"):
        p = sub.add_parser(action, help=f"record a manual {action} decision")
        p.add_argument(
            "--leg", required=True, choices=["ledger_partner", "partner_bank", "ledger_bank"]
        )
        if action == "write-off":
            p.add_argument("--item", required=True, help="item_id from `lakehouse exceptions`")
        else:
            p.add_argument("--left", nargs="+", required=True, help="left item ids")
            p.add_argument("--right", nargs="+", required=True, help="right item ids")
        p.add_argument("--reason", required=True)
        p.add_argument("--user", default=os.environ.get("USER", "operator"))
        p.add_argument("--date", type=_date, help="business date the decision is made on")
        p.set_defaults(func=_decision_command(action.replace("-", "_")))

    p = sub.add_parser("score", help="precision/recall of gold against a truth folder")
    p.add_argument("--truth", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("inspect", help="detect, parse and check one file (no Spark)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("report", help="write the HTML report")
    p.add_argument("--date", type=_date)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except LakehouseError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
