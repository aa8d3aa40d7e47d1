"""``lakehouse workbench``: the exception queue in the browser (no JVM; starts in seconds)."""

from __future__ import annotations

import argparse
import os

from lakehouse.cli._output import Subcommands, console


def cmd_workbench(args: argparse.Namespace) -> int:
    import uvicorn

    from lakehouse.config import load_settings
    from lakehouse.workbench.app import create_app
    from lakehouse.workbench.security import Access

    settings = load_settings()
    access = Access.create(
        args.host,
        os.environ.get("LAKEHOUSE_WORKBENCH_TOKEN"),
        args.user,
        os.environ.get("LAKEHOUSE_WORKBENCH_SECRET"),
    )
    app = create_app(settings, access)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    console.print(
        f"workbench on http://{shown}:{args.port}/ over {settings.storage.root} "
        f"({'sign-in with LAKEHOUSE_WORKBENCH_TOKEN' if access.needs_sign_in else 'loopback'}"
        f"); decisions land in {settings.storage.landing}/manual_decisions; Ctrl-C stops it",
        markup=False,
        soft_wrap=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return port


def register(sub: Subcommands) -> None:
    p = sub.add_parser("workbench", help="the exception queue in the browser (assign, match ...)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    p.add_argument("--port", type=_port, default=8765)
    p.add_argument(
        "--user",
        default=os.environ.get("USER", "operator"),
        help="who the decisions are recorded for on loopback (signed-in users elsewhere)",
    )
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning"])
    p.set_defaults(func=cmd_workbench)
