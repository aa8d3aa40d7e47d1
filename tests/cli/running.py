"""Running ``lakehouse`` in-process for the CLI tests, and reading its one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse import cli


def run_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root: Path,
    *argv: str,
    **env: str,
) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``lakehouse ARGV`` on the lakehouse at ``root``."""
    monkeypatch.setenv("LAKEHOUSE_ROOT", str(root))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(argv))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def one_line_error(code: int, err: str) -> str:
    """The error line of a refused command: exit 2, one line, no traceback."""
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("error: ")
    return lines[0]
