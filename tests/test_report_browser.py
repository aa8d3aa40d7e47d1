"""The HTML report in a real headless browser (Debian's chromium).

Renders the report from the tiny gold tables of ``tests/test_report.py``, loads it
from ``file://`` with networking disabled and checks that it loads without errors,
that the three SVG charts were drawn (the page's own check script sets
``data-rendered="ok"`` on ``<body>``) and that a screenshot has real content.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from lakehouse.report import write_report
from tests.test_report import build_gold

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHARTS = ("chart-aging", "chart-match-rate", "chart-exception-amount")
TIMEOUT = 60  # seconds per Chromium run


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium, installed through scripts/chromium.sh when missing."""
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "chromium.sh")],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "CHROMIUM": CHROMIUM},
    )
    if proc.returncode == 2 and not os.environ.get("CI"):
        pytest.skip(
            f"chromium is not installed and cannot be installed here: {proc.stderr.strip()}"
        )
    assert proc.returncode == 0, (
        f"scripts/chromium.sh failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} missing after scripts/chromium.sh"
    return CHROMIUM


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_gold(tmp_path_factory.mktemp("lake"))
    return write_report(tmp_path_factory.mktemp("out") / "report.html", root=str(root))


def _run_chromium(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env={**os.environ, "HOME": str(tmp)},
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"chromium did not finish within {TIMEOUT} s: {' '.join(command)}\n{exc.stderr!r}"
        )
    assert proc.returncode == 0, f"chromium failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
    return proc


def _console_messages(stderr: str) -> list[str]:
    """JavaScript console output (errors, CSP violations) that Chromium logged."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_report_loads_and_charts_render(chromium: str, report: Path, tmp_path: Path) -> None:
    import lxml.html

    proc = _run_chromium(chromium, tmp_path, "--dump-dom", report.as_uri())
    assert _console_messages(proc.stderr) == []
    dom = proc.stdout
    assert 'data-rendered="ok"' in dom, re.findall(r"<body[^>]*>", dom)

    tree = lxml.html.fromstring(dom)
    for chart in CHARTS:
        svgs = tree.xpath("//svg[@id=$id]", id=chart)
        assert len(svgs) == 1, chart
        svg = svgs[0]
        assert svg.xpath("./title/text()"), f"{chart} has no <title>"
        shapes = svg.xpath(
            ".//*[self::rect or self::path or self::polyline or self::circle]"
            "[contains(concat(' ', @class, ' '), ' mark ')]"
        )
        assert len(shapes) > 0, f"{chart} has no drawn shapes"
        # written by the page's check script in the browser: it saw the same shapes
        assert svg.get("data-marks") == str(len(shapes)), chart
    assert len(tree.xpath("//table[@id='top-breaks']//tr[@class='break']")) == 20


def test_report_screenshot(chromium: str, report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    proc = _run_chromium(
        chromium,
        tmp_path,
        "--hide-scrollbars",
        "--window-size=1400,2000",
        f"--screenshot={png}",
        report.as_uri(),
    )
    assert _console_messages(proc.stderr) == []
    assert png.exists(), proc.stderr[-4000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1400, 2000)
    assert len(data) > 10_000, f"screenshot is only {len(data)} bytes: blank page?"
    keep = os.environ.get("REPORT_SCREENSHOT")  # e.g. /tmp/report_screenshot.png to look at it
    if keep:
        shutil.copyfile(png, keep)
