"""Generated documentation: ``lakehouse docs tables`` writes docs/tables.md (no JVM)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lakehouse.cli._output import Subcommands, console, out


def cmd_docs_tables(args: argparse.Namespace) -> int:
    from lakehouse.table_docs import DEFAULT_OUT, update

    ok, message = update(Path(args.out) if args.out else DEFAULT_OUT, check=args.check)
    if not ok:
        console.print(f"[bold red]error:[/] {message}")
        return 1
    out.print(message)
    return 0


def register(sub: Subcommands) -> None:
    p = sub.add_parser("docs", help="regenerate the generated documentation")
    kinds = p.add_subparsers(dest="kind", required=True)
    t = kinds.add_parser("tables", help="docs/tables.md from the tables' TableSpecs")
    t.add_argument("--out", help="the file to write (default: docs/tables.md)")
    t.add_argument("--check", action="store_true", help="exit 1 when the file is not current")
    t.set_defaults(func=cmd_docs_tables)
