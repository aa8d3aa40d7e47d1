"""An operator works a break in a real browser (headless Chromium over DevTools).

A small generated lakehouse (two days run), ``lakehouse workbench`` started as users
start it, and Chromium driving the pages: filter the queue down to one break, open
it, assign it, write it off (each page then says "recorded, applied by the next run"),
run the next day, and see the break resolved by the write-off and gone from the open
queue. Screenshots of the queue and item pages are kept (``test-artifacts/workbench/``
and the test's tmp dir); no page may log a script or console error.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from lakehouse.config import Settings, load_settings
from lakehouse.pipeline import run_day
from lakehouse.readers import read_table
from lakehouse.synthetic.generator import generate
from tests.test_report_browser import chromium  # noqa: F401  (the fixture)
from tests.workbench.cdp import Chromium
from tests.workbench.cdp import chromium as start_chromium

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "workbench"
START = date(2026, 11, 2)
WORKBENCH_PORTS = range(8766, 8776)
DEVTOOLS_PORTS = range(9251, 9261)


def free_port(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory) -> tuple[Settings, dict[str, str]]:
    base = tmp_path_factory.mktemp("workbench")
    env = {
        **os.environ,
        "LAKEHOUSE_ROOT": str(base / "lake"),
        "LAKEHOUSE_LANDING": str(base / "land"),
        "PYTHONPATH": str(REPO),
    }
    settings = load_settings(env=env)
    generate(19, START, 3, 40, base / "land", None)
    for day in (START, START + timedelta(days=1)):
        run_day(day, settings, spark)
    return settings, env


@pytest.fixture
def workbench(lake) -> Iterator[str]:
    _, env = lake
    port = free_port(WORKBENCH_PORTS)
    command = [sys.executable, "-m", "lakehouse.cli", "workbench", "--port", str(port)]
    server = subprocess.Popen([*command, "--user", "ops-browser"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, "the workbench exited at start"
                assert time.monotonic() < deadline, "the workbench did not answer in 60 s"
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def keep(browser: Chromium, tmp_path: Path, name: str) -> None:
    shot = browser.screenshot(tmp_path / name)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, f"{name} looks blank"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / name)


def shown_items(browser: Chromium) -> list[str]:
    script = "[...document.querySelectorAll('#queue tbody tr')].map(r => r.dataset.item)"
    return list(browser.run(script) or [])


def pick_break(root: str) -> dict[str, str]:
    """An open break whose leg and reason narrow the queue the most."""
    queue = read_table("gold.exception_queue", root=root)
    queue = queue[queue.status != "RESOLVED"]
    sizes = queue.groupby(["leg", "reason_code"]).item_id.transform("size")
    row = queue.assign(n=sizes).sort_values(["n", "item_id"]).iloc[0]
    return {"leg": row.leg, "reason": row.reason_code, "item": row.item_id}


def test_filter_open_assign_write_off_then_the_next_run_closes_it(
    lake,
    workbench,
    chromium,  # noqa: F811  (the fixture imported above)
    spark,
    tmp_path,
):
    settings, _ = lake
    target = pick_break(settings.storage.root)
    with start_chromium(chromium, free_port(DEVTOOLS_PORTS), tmp_path / "profile") as browser:
        browser.open(f"{workbench}/")
        before = shown_items(browser)
        assert target["item"] in before
        keep(browser, tmp_path, "queue.png")

        # filter to the break: leg and reason, then open it
        browser.then_load(
            f"document.querySelector('select[name=leg]').value = '{target['leg']}';"
            f"document.querySelector('select[name=reason]').value = '{target['reason']}';"
            "document.querySelector('#filters button').click()"
        )
        filtered = shown_items(browser)
        assert target["item"] in filtered and len(filtered) < len(before)
        browser.then_load(f"document.querySelector('tr[data-item=\"{target['item']}\"] a').click()")
        assert target["item"] in browser.text("#facts")
        keep(browser, tmp_path, "item.png")

        browser.then_load(
            "document.querySelector('#assign-form input[name=owner]').value = 'ops-anna';"
            "document.querySelector('#assign-form button').click()"
        )
        assert "recorded, applied by the next run" in browser.text("#recorded")
        browser.then_load(
            "document.querySelector('#write-off-form input[name=reason]').value = "
            "'below the write-off limit';"
            "document.querySelector('#write-off-form button').click()"
        )
        pending = browser.text("#pending")
        assert "assign" in pending and "write_off" in pending and "ops-browser" in pending
        keep(browser, tmp_path, "item-recorded.png")

        run_day(START + timedelta(days=2), settings, spark)

        item_url = browser.url().split("&recorded=")[0]
        browser.open(item_url)
        assert "RESOLVED by write_off" in browser.text("#status")
        assert browser.text("#owner") == "ops-anna"
        assert browser.text("#pending") == ""
        assert browser.text("#decisions").count("APPLIED") >= 2
        keep(browser, tmp_path, "item-resolved.png")

        browser.open(f"{workbench}/")
        after = shown_items(browser)
        assert target["item"] not in after
        assert "as of the run for 2026-11-04" in browser.text("h1")
        browser.open(f"{workbench}/?resolved=1&status=RESOLVED")
        assert target["item"] in shown_items(browser)
        keep(browser, tmp_path, "queue-after.png")
        assert browser.errors == []
