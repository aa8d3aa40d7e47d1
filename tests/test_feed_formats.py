"""The feed-format registry: one list of formats, partner layouts included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse.bronze.formats import get_parser
from lakehouse.bronze.formats.base import FAMILY_COLUMNS, PARTNER_COLUMNS
from lakehouse.config import load_settings
from lakehouse.errors import ConfigError
from lakehouse.feed_formats import (
    BANK,
    DEFAULT_LAYOUTS_PATH,
    FAMILIES,
    PARTNER,
    feed_formats,
)
from lakehouse.silver.refine import SILVER_TABLES

ACME = """
[layouts.acme]
title = "Acme payouts"
timezone = "Europe/Zurich"
control = "gross_minus_fees_equals_net"
required = ["record_type", "psp_reference", "net_amount"]
detect = [["Acme Ref"]]
[layouts.acme.headers]
record_type = ["Kind"]
psp_reference = ["Acme Ref"]
merchant_reference = ["Order"]
booked_at = ["Booked"]
gross_currency = ["Ccy"]
net_currency = ["Ccy"]
[layouts.acme.amounts]
gross_amount = { column = ["Gross"] }
fee_amount = { column = ["Fee"] }
net_amount = { column = ["Net"] }
"""


def layouts_with_acme(tmp_path: Path) -> Path:
    path = tmp_path / "partners.toml"
    path.write_text(DEFAULT_LAYOUTS_PATH.read_text(encoding="utf-8") + ACME, encoding="utf-8")
    return path


def env_with(layouts: Path, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["LAKEHOUSE__PARTNERS__LAYOUTS"] = str(layouts)
    env["LAKEHOUSE_ROOT"] = str(tmp_path / "lakehouse")
    env["LAKEHOUSE_LANDING"] = str(tmp_path / "landing")
    return env


def test_every_format_has_a_family_with_bronze_columns_and_a_silver_table() -> None:
    refined = {table.family for table in SILVER_TABLES}
    for fmt in feed_formats().values():
        assert fmt.family in FAMILIES
        assert fmt.family in FAMILY_COLUMNS
        assert fmt.family in refined, f"no silver table refines {fmt.name}"
    assert feed_formats()["adyen"].family == PARTNER
    assert feed_formats()["camt054"].family == BANK


def test_a_partner_layout_is_a_format_feed_and_parser(tmp_path: Path) -> None:
    layouts = layouts_with_acme(tmp_path)
    assert feed_formats(layouts)["acme"].family == PARTNER
    assert "acme" not in feed_formats()
    settings = load_settings(env=env_with(layouts, tmp_path))
    feed = settings.feed("acme")
    assert (feed.format, feed.family, feed.partner, feed.timezone) == (
        "acme",
        PARTNER,
        "acme",
        "Europe/Zurich",
    )
    assert list(settings.feeds)[-1] == "acme"  # after the configured feeds
    data = (
        b"Kind,Acme Ref,Order,Booked,Ccy,Gross,Fee,Net\n"
        b"Settled,A-1,O-1,2026-11-02 10:00,CHF,10.00,0.50,9.50\n"
    )
    parsed = get_parser("acme", layouts)(data, "acme.csv")
    assert parsed.columns == PARTNER_COLUMNS
    assert parsed.records()[0].values["net_amount"] == "9.50"


def test_layout_named_like_a_builtin_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "partners.toml"
    path.write_text(ACME.replace("acme", "ledger"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'ledger' is a built-in format; rename the layout"):
        feed_formats(path)


def test_bad_layout_timezone_names_the_layout(tmp_path: Path) -> None:
    layouts = layouts_with_acme(tmp_path)
    layouts.write_text(layouts.read_text().replace("Europe/Zurich", "Mars/Olympus"))
    with pytest.raises(ConfigError, match=r"\[layouts.acme\] timezone 'Mars/Olympus'"):
        load_settings(env=env_with(layouts, tmp_path))


def test_missing_layouts_file_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LAKEHOUSE__PARTNERS__LAYOUTS"):
        load_settings(env=env_with(tmp_path / "nope.toml", tmp_path))


def test_configuration_imports_no_layer() -> None:
    code = (
        "import sys, lakehouse.config;"
        "bad = [m for m in sys.modules if m.startswith(('lakehouse.bronze', 'lakehouse.silver',"
        " 'lakehouse.gold', 'pyspark'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
