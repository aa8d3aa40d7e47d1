"""The ``lakehouse`` command's exit: after a command that never started Spark, the
process leaves through ``os._exit`` with the command's status (the runtimes under
``deltalake`` can abort a normal interpreter shutdown); with Spark started it exits
normally so that the JVM is stopped."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import lakehouse.cli as cli


class Exited(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _fake_exit(code: int) -> None:
    raise Exited(code)


@pytest.mark.parametrize(
    ("argv", "code"),
    [(["--help"], 0), (["explain"], 2), (["no-such-command"], 2)],
)
def test_without_spark_the_command_leaves_through_os_exit_with_its_status(
    argv, code, monkeypatch, capsys
):
    monkeypatch.setattr(sys, "argv", ["lakehouse", *argv])
    monkeypatch.setattr(os, "_exit", _fake_exit)
    monkeypatch.setattr(cli, "_spark_started", lambda: False)
    with pytest.raises(Exited) as exited:
        cli.entry()
    assert exited.value.code == code
    out, err = capsys.readouterr()
    assert (out if code == 0 else err).strip()


def test_with_spark_started_the_command_exits_normally(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["lakehouse", "explain"])
    monkeypatch.setattr(os, "_exit", _fake_exit)
    monkeypatch.setattr(cli, "_spark_started", lambda: True)
    with pytest.raises(SystemExit) as exited:
        cli.entry()
    assert exited.value.code == 2


@pytest.mark.parametrize(("argv", "code"), [(["--help"], 0), (["explain"], 2)])
def test_the_installed_command_returns_the_status_in_a_fresh_process(argv, code):
    done = subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == code
    assert (done.stdout if code == 0 else done.stderr).strip()
