"""``lakehouse generate``: synthetic feeds (and their truth) into a landing zone."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from rich.markup import escape

from lakehouse.cli._output import Subcommands, console, iso_date, out, progress


def _fail(message: str) -> int:
    """One line on stderr, as ``lakehouse.cli.main`` prints errors; exit status 2."""
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return 2


def _check(args: argparse.Namespace) -> tuple[str | None, Any]:
    """(error message, noise spec): the arguments a run cannot use, named with the fix."""
    from lakehouse.synthetic.noise import NoiseSpec, NoiseSpecError

    if args.days < 1:
        return f"--days {args.days}: generate at least one day, e.g. --days 3", None
    if args.volume < 1:
        return f"--volume {args.volume}: ledger events a day must be >= 1, e.g. --volume 1000", None
    if args.truth and args.truth.startswith(("s3://", "s3a://")):
        return f"--truth {args.truth}: the truth is written to a local folder; name one", None
    try:
        return None, NoiseSpec.parse(args.noise or "")
    except NoiseSpecError as exc:
        return f"--noise {args.noise}: {exc}", None


def cmd_generate(args: argparse.Namespace) -> int:
    from lakehouse.synthetic.generator import generate

    problem, noise = _check(args)
    if problem:
        return _fail(problem)
    if args.out.startswith(("s3://", "s3a://")):
        from lakehouse.config import load_settings
        from lakehouse.landing import landing_zone

        landing: Any = landing_zone(load_settings(), args.out)
    else:
        landing = Path(args.out)
    feeds = generate(
        args.seed,
        args.start,
        args.days,
        args.volume,
        landing,
        Path(args.truth) if args.truth else None,
        progress=progress,
        noise=noise,
    )
    out.print(
        f"wrote {len(feeds.uris)} files to {args.out}"
        + (f", truth to {args.truth}" if args.truth else "")
    )
    return 0


def register(sub: Subcommands) -> None:
    p = sub.add_parser("generate", help="write synthetic feeds (and the truth) to a landing zone")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start", type=iso_date, default=date(2026, 11, 2))
    p.add_argument("--days", type=int, default=3)
    p.add_argument("--volume", type=int, default=200, help="ledger events per day")
    p.add_argument("--out", default="data/landing", help="landing folder, or s3://bucket/prefix")
    p.add_argument("--truth", default=None, help="folder for matches.csv and exceptions.csv")
    p.add_argument(
        "--noise",
        default=None,
        metavar="KIND=RATE,...",
        help="reference noise, e.g. all=0.02,narrative=1 (docs/synthetic.md); default: none",
    )
    p.set_defaults(func=cmd_generate)
