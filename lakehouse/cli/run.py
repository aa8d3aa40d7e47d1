"""Commands that write: run, backfill, demo."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lakehouse.cli._output import Subcommands, console, iso_date, out, print_table, progress


def _print_day(result: Any) -> None:
    from lakehouse.config import load_settings
    from lakehouse.gold.report_data import summary_rows
    from lakehouse.spark import get_spark

    settings = load_settings()
    rows = summary_rows(get_spark(settings), settings, result.as_of)
    print_table(rows, title=f"Reconciliation as of {result.as_of} (run {result.run_id})")
    _print_unapplied(settings.storage.root)


def _print_unapplied(root: str) -> None:
    """The decisions the run could not apply, with why (nothing when all were)."""
    from lakehouse.report.unapplied import load_unapplied

    rows = [
        {
            "decision": r["decision_id"],
            "action": r["action"],
            "leg": r["leg"],
            "items": ", ".join((r.get("item_ids") or [])[:3]),
            "by": r.get("decided_by"),
            "why not applied": r.get("detail"),
        }
        for r in load_unapplied(None, root)
    ]
    if rows:
        print_table(rows, title=f"{len(rows)} decision(s) not applied")


def cmd_run(args: argparse.Namespace) -> int:
    from lakehouse.config import load_settings
    from lakehouse.lease import writer_lease
    from lakehouse.pipeline import context, run_days, run_ingest, run_refine
    from lakehouse.spark import get_spark

    settings = load_settings()
    ctx = context(settings, args.date)
    # the lease before Spark: a second writer is told at once, not after a JVM start
    with (
        writer_lease(settings, ctx.run_id, progress),
        console.status(f"running {args.step} for {args.date} ..."),
    ):
        spark = get_spark(settings)
        if args.step in ("all", "reconcile"):
            # a day before the last reconciled one is reprocessed with the later days
            results = run_days(
                args.date,
                args.date,
                settings,
                spark,
                progress,
                reconcile_only=args.step == "reconcile",
            )
            _print_day(next(r for r in results if r.as_of == args.date))
            if results[-1].as_of != args.date:
                _print_day(results[-1])
            return 0
        steps: dict[str, Callable[..., Any]] = {"ingest": run_ingest, "refine": run_refine}
        outcome = steps[args.step](spark, ctx, progress)
    out.print(
        outcome
        if not hasattr(outcome, "outcomes")
        else {s: outcome.count(s) for s in ("ingested", "rejected", "skipped")}
    )
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from lakehouse.config import load_settings
    from lakehouse.lease import writer_lease
    from lakehouse.pipeline import new_run_id, run_days
    from lakehouse.reprocess import days_between
    from lakehouse.spark import get_spark

    settings = load_settings()
    days_between(args.start, args.end)  # a bad range fails before Spark starts
    # one writer from the first day to the last: nothing else writes in between
    with writer_lease(settings, new_run_id("backfill", args.start), progress):
        spark = get_spark(settings)
        results = run_days(args.start, args.end, settings, spark, progress)
        _print_day(results[-1])
    return 0


def _reset_demo_data(root: str, landing: str) -> None:
    for folder in (root, landing):
        if "://" not in folder and Path(folder).exists():
            shutil.rmtree(folder)


def cmd_demo(args: argparse.Namespace) -> int:
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
        progress=progress,
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
        print_table(summary_rows(spark, settings, day), title=f"As of {day}")
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
    out.print("Work the breaks in the browser: lakehouse workbench (http://127.0.0.1:8765/)")
    return 0


def register(sub: Subcommands) -> None:
    p = sub.add_parser("demo", help="generate a few days and run the whole pipeline")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start", type=iso_date, default=date(2026, 11, 2))
    p.add_argument("--days", type=int, default=3)
    p.add_argument("--volume", type=int, default=300)
    p.add_argument("--keep", action="store_true", help="keep existing data (default: start fresh)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="run one business day (or one step of it)")
    p.add_argument("--date", type=iso_date, required=True)
    p.add_argument("--step", choices=["all", "ingest", "refine", "reconcile"], default="all")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("backfill", help="run every day from --start to --end in order")
    p.add_argument("--start", type=iso_date, required=True)
    p.add_argument("--end", type=iso_date, required=True)
    p.set_defaults(func=cmd_backfill)
