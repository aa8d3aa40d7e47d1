"""``lakehouse``: the command line of the reconciliation lakehouse.

Long work (runs, backfills, demo) shows progress; every error names the input and
the fix and exits with status 2 without a traceback. Read-only commands (exceptions,
audit, history, score, inspect) read Delta through ``deltalake``: no JVM starts.

Each module of this package registers one group of commands; ``COMMAND_MODULES`` is
the one list of them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from rich.markup import escape

from lakehouse.cli import decide, docs, explain, generate, preview, queue, read, run, workbench
from lakehouse.cli._output import console
from lakehouse.errors import LakehouseError

COMMAND_MODULES: tuple[ModuleType, ...] = (
    generate,
    run,
    preview,
    read,
    explain,
    decide,
    queue,
    workbench,
    docs,
)


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (what was wrong, where to read more), exit 2."""

    def error(self, message: str) -> NoReturn:
        console.print(
            f"[bold red]error:[/] {escape(self.prog)}: {escape(message)} "
            f"(see {escape(self.prog)} --help)",
            soft_wrap=True,
        )
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="lakehouse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``| head``): stop quietly, flush nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
    except LakehouseError as exc:
        # one line whatever the width; the text is not markup ("[reconcile] window_days")
        console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        code = 2
    except BrokenPipeError:
        code = _quiet_broken_pipe()
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        if os.environ.get("LAKEHOUSE_DEBUG"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        console.print(
            f"[bold red]error:[/] {escape(type(exc).__name__)}: {escape(first)} "
            "(an internal error: re-run with LAKEHOUSE_DEBUG=1 for the traceback and report it)",
            soft_wrap=True,
        )
        code = 1
    sys.exit(code)


def _spark_started() -> bool:
    pyspark = sys.modules.get("pyspark")
    return pyspark is not None and pyspark.SparkContext._active_spark_context is not None


def entry() -> NoReturn:
    """The ``lakehouse`` command: :func:`main`, then the exit.

    A command that never started Spark leaves with ``os._exit`` once its output is
    flushed: the Rust and C++ runtimes under ``deltalake`` and ``pyarrow`` can abort the
    interpreter while their threads are torn down at shutdown (SIGABRT, "terminate called
    without an active exception", delta-io/delta-rs#2184) after the command has
    succeeded. A command that started Spark exits normally, so that the JVM is stopped.
    """
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else int(done.code is not None)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if _spark_started():
        sys.exit(code)
    os._exit(code)
