"""``lakehouse generate``: options reach the generator; bad input is one line, exit 2."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lakehouse import cli
from lakehouse.synthetic.generator import generate


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["generate", *argv])
    captured = capsys.readouterr()
    return int(exit_.value.code or 0), captured.out + captured.err


def _bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.*"))}


def test_noise_option_writes_what_the_api_writes(tmp_path, capsys):
    argv = ["--days", "2", "--volume", "40", "--seed", "9", "--start", "2026-11-02"]
    code, text = _run(capsys, *argv, "--out", str(tmp_path / "cli"), "--noise", "all=0.1")
    assert code == 0 and f"wrote 12 files to {tmp_path / 'cli'}" in text
    generate(9, date(2026, 11, 2), 2, 40, tmp_path / "api", noise="all=0.1")
    clean = tmp_path / "clean"
    generate(9, date(2026, 11, 2), 2, 40, clean)
    assert _bytes(tmp_path / "cli") == _bytes(tmp_path / "api") != _bytes(clean)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--days", "-1"], "error: --days -1: generate at least one day, e.g. --days 3"),
        (["--days", "0"], "error: --days 0: generate at least one day"),
        (["--volume", "0"], "error: --volume 0: ledger events a day must be >= 1"),
        (["--volume", "-5"], "error: --volume -5: ledger events a day must be >= 1"),
        (["--noise", "typo"], "error: --noise typo: noise 'typo' is not KIND=RATE"),
        (["--noise", "typos=0.1"], "noise kind 'typos' is unknown; use one of embed"),
        (["--noise", "all=0.3"], "sum to 1.8; a record gets one kind, keep the sum <= 1"),
        (["--noise", "[reconcile]=1"], "noise kind '[reconcile]' is unknown"),
        (["--truth", "s3://bucket/truth"], "the truth is written to a local folder"),
    ],
)
def test_impossible_arguments_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    code, text = _run(capsys, "--out", str(tmp_path / "out"), *argv)
    assert code == 2
    assert message in text
    assert len(text.strip().splitlines()) == 1 and "Traceback" not in text
    assert not (tmp_path / "out").exists()
