"""docs/extending.md's partner layout example works as written (no Spark): the layout
and the report are taken from the page itself."""

from __future__ import annotations

import re
from pathlib import Path

from lakehouse.bronze.inspect import inspect_file
from lakehouse.config import CONF_DIR, load_settings

PAGE = Path(__file__).resolve().parents[1] / "docs" / "extending.md"


def _blocks(language: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def _example(tmp_path: Path) -> tuple[Path, Path]:
    [report] = [b for b in _blocks("") if b.startswith("Kind,")]
    [layout] = [b for b in _blocks("toml") if "[layouts.acme]" in b]
    layouts = tmp_path / "partners.toml"
    layouts.write_text((CONF_DIR / "partners.toml").read_text() + "\n" + layout)
    landed = tmp_path / "acme_2026-11-02.csv"
    landed.write_text(report)
    return layouts, landed


def test_the_acme_layout_of_the_page_reads_the_acme_report_of_the_page(tmp_path: Path) -> None:
    layouts, landed = _example(tmp_path)
    summary, code = inspect_file(landed, layouts)
    assert (code, summary["status"], summary["format"]) == (0, "ok", "acme"), summary
    assert summary["entries"] == 2 and summary["warnings"] == []


def test_the_layout_alone_makes_a_feed(tmp_path: Path) -> None:
    layouts, _ = _example(tmp_path)
    settings = load_settings(env={"LAKEHOUSE__PARTNERS__LAYOUTS": str(layouts)})
    feed = settings.feed("acme")
    assert (feed.format, feed.family, feed.partner, feed.timezone) == (
        "acme",
        "partner",
        "acme",
        "Europe/Zurich",
    )
