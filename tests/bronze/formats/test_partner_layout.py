"""Partner CSV layouts (``partner_layout``): a new partner is a TOML table; layouts are
loaded once, and a bad file names the file and the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from lakehouse.bronze.formats.partner_csv import (
    DEFAULT_LAYOUTS_PATH,
    CsvLayout,
    layouts_at,
    load_layouts,
    parse_with_layout,
    parser_for,
)
from lakehouse.errors import ConfigError
from tests.bronze.formats.partner_csv_builders import REPO_ROOT

MINIMAL_LAYOUT = """
[layouts.acme]
required = ["psp_reference", "net_amount"]
[layouts.acme.headers]
psp_reference = ["Ref"]
net_currency = ["Ccy"]
gross_currency = ["Ccy"]
[layouts.acme.amounts]
gross_amount = { column = ["Gross"] }
fee_amount = { column = ["Fee"] }
net_amount = { column = ["Net"] }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partners.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_new_partner_is_only_a_toml_table(tmp_path: Path) -> None:
    with_delimiter = MINIMAL_LAYOUT.replace(
        "[layouts.acme.headers]", 'delimiter = ";"\n[layouts.acme.headers]'
    )
    layout = load_layouts(write(tmp_path, with_delimiter))["acme"]
    data = b"Net;Ref;Gross;Fee;Ccy\n9,50;A-1;10,00;0,50;CHF\n"
    parsed = parse_with_layout(data, "acme.csv", layout)
    assert parsed.format == "acme"
    assert parsed.records()[0].values["net_amount"] == "9.50"
    assert parsed.records()[0].values["psp_reference"] == "A-1"
    assert parsed.records()[0].values["gross_currency"] == "CHF"


def test_default_layouts_file_is_the_repository_conf() -> None:
    assert DEFAULT_LAYOUTS_PATH == REPO_ROOT / "conf" / "partners.toml"
    layouts = load_layouts(DEFAULT_LAYOUTS_PATH)
    assert {"adyen", "stripe"} <= set(layouts)
    assert all(isinstance(layout, CsvLayout) for layout in layouts.values())
    assert layouts["adyen"].payout_types == ("MerchantPayout",)
    assert layouts["adyen"].fx_tolerance == Decimal("0.01")


def test_layouts_are_loaded_once() -> None:
    parser_for("adyen")
    before = layouts_at.cache_info().misses
    parser_for("stripe")
    parser_for("adyen")
    assert layouts_at.cache_info().misses == before


def test_unknown_layout_name() -> None:
    with pytest.raises(ConfigError, match=r"no \[layouts.paypal\] table; known layouts: adyen"):
        parser_for("paypal")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[layouts.acme]", "[layouts.acme]\ncolour = 1"), "[layouts.acme] key 'colour'"),
        (("[layouts.acme]", "[layouts.acme]\nrow_tolerance = 0.01"), "key 'row_tolerance'"),
        (("[layouts.acme]", '[layouts.acme]\ndecimal_separator = ";"'), "'decimal_separator'"),
        (("[layouts.acme]", '[layouts.acme]\ncontrol = "maybe"'), "key 'control'"),
        (("[layouts.acme]", '[layouts.acme]\ndelimiter = "ab"'), "key 'delimiter'"),
        (("[layouts.acme]", "[layouts.acme]\npayout_types = [1]"), "key 'payout_types'"),
        (('psp_reference = ["Ref"]', 'psp_ref = ["Ref"]'), "[layouts.acme.headers] key 'psp_ref'"),
        (('psp_reference = ["Ref"]', 'psp_reference = "Ref"\nnet_amount = ["N"]'), "both"),
        (('fee_amount = { column = ["Fee"] }', 'fee_amount = { sum = ["markup"] }'), "'markup'"),
        (('fee_amount = { column = ["Fee"] }', 'fee_amount = { credit = ["F"] }'), "exactly one"),
        (('fee_amount = { column = ["Fee"] }', ""), "needs an [amounts] rule for 'fee_amount'"),
        (('required = ["psp_reference", "net_amount"]', 'required = ["batch_id"]'), "'batch_id'"),
        (('required = ["psp_reference", "net_amount"]', 'required = ["nope"]'), "'nope'"),
        (("[layouts.acme]", "[layouts.acme]\ndetect = [[]]"), "key 'detect'"),
        (("[layouts.acme]", "[layouts.Acme]"), "layout names are lower-case"),
    ],
)
def test_bad_layout_names_file_and_key(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = write(tmp_path, MINIMAL_LAYOUT.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_layouts(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("layouts = [", "not valid TOML"),
        ("", "no [layouts.<name>] table"),
        ("[other]\n", "unknown top-level key 'other'"),
        ("layouts = 3\n", "no [layouts.<name>] table"),
    ],
)
def test_bad_layout_file(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[")) as info:
        load_layouts(path)
    assert str(path) in str(info.value)


def test_missing_layout_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read partner layouts"):
        load_layouts(tmp_path / "nope.toml")
