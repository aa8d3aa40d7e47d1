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
    code, _ = _run(capsys, *argv, "--out", str(tmp_path / "cli"), "--noise", "all=0.1")
    assert code == 0
    generate(9, date(2026, 11, 2), 2, 40, tmp_path / "api", noise="all=0.1")
    clean = tmp_path / "clean"
    generate(9, date(2026, 11, 2), 2, 40, clean)
    assert _bytes(tmp_path / "cli") == _bytes(tmp_path / "api") != _bytes(clean)


@pytest.mark.parametrize(
    ("noise", "message"),
    [
        ("typo", "noise 'typo' is not KIND=RATE"),
        ("typos=0.1", "noise kind 'typos' is unknown"),
        ("all=0.3", "keep the sum <= 1"),
    ],
)
def test_bad_noise_is_refused_with_the_fix(tmp_path, capsys, noise, message):
    code, text = _run(capsys, "--out", str(tmp_path), "--noise", noise)
    assert code == 2
    assert message in text and "Traceback" not in text
    assert not any(tmp_path.iterdir())
