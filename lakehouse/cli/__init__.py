"""``lakehouse``: the command line of the reconciliation lakehouse.

Long work (runs, backfills, demo) shows progress; every error names the input and
the fix and exits with status 2 without a traceback. Read-only commands (exceptions,
audit, history, score, inspect) read Delta through ``deltalake``: no JVM starts.

Each module of this package registers one group of commands; ``COMMAND_MODULES`` is
the one list of them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from rich.markup import escape

from lakehouse.cli import decide, docs, generate, queue, read, run, workbench
from lakehouse.cli._output import console
from lakehouse.errors import LakehouseError

COMMAND_MODULES: tuple[ModuleType, ...] = (generate, run, read, decide, queue, workbench, docs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakehouse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except LakehouseError as exc:
        # one line whatever the width; the text is not markup ("[s3] endpoint_url")
        console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
