"""The CSV text toolkit under the partner parser (``csv_text``): bytes and encodings,
line endings, cell sizes, and decimals with either separator."""

from __future__ import annotations

import json

import pytest

from lakehouse.bronze.formats.partner_csv import (
    default_layouts,
    detect_decimal_separator,
    format_decimal,
    parse_decimal,
    parse_with_layout,
    parser_for,
)
from tests.bronze.formats.partner_csv_builders import BATCH_112, adyen, rejected, replace_line


def test_bom_crlf_and_empty_lines() -> None:
    lines = BATCH_112.splitlines()
    text = "\r\n".join([lines[0], "", *lines[1:3], "", "", *lines[3:]]) + "\r\n\r\n"
    parsed = parser_for("adyen")(b"\xef\xbb\xbf" + text.encode(), "x.csv")
    assert [row.row_number for row in parsed.records()] == [1, 2, 3, 4, 5, 6]
    assert parsed.records()[0].values["psp_reference"] == "8515131751004933"
    assert "Company Account" in json.loads(parsed.records()[0].values["raw"] or "")
    assert parsed.warnings == ["4 empty lines skipped"]


def test_cp1252_file_is_read_with_a_warning() -> None:
    text = replace_line(BATCH_112, 1, "LN-1001-R3", "Prêt-1001 – Müller")
    parsed = parser_for("adyen")(text.encode("cp1252"), "x.csv")
    assert parsed.records()[0].values["merchant_reference"] == "Prêt-1001 – Müller"
    assert parsed.warnings[0].startswith("not UTF-8")


def test_oversized_cell_quarantines_its_row_on_both_paths() -> None:
    huge = "R" * (200 * 1024)
    text = replace_line(BATCH_112, 1, "LN-1001-R3", huge)
    layout = default_layouts()["adyen"]
    for column_wise in (True, False):
        parsed = parse_with_layout(text.encode(), "x.csv", layout, column_wise=column_wise)
        assert parsed.table is None  # the row path decided
        (bad,) = parsed.quarantine
        assert (bad.row_number, huge in bad.raw) == (1, True)
        assert bad.reason.endswith("characters, more than the 131072 a field may have")
        assert [row.row_number for row in parsed.records()] == [2, 3, 4, 5, 6]


def test_bytes_neither_utf8_nor_cp1252_are_read_as_latin1_with_a_warning() -> None:
    text = replace_line(BATCH_112, 1, "LN-1001-R3", "LN-1001-\x81")
    parsed = parser_for("adyen")(text.encode("latin-1"), "x.csv")
    assert parsed.records()[0].values["merchant_reference"] == "LN-1001-\x81"
    assert parsed.warnings[0].endswith("; read as latin-1")


def test_header_only_file_has_no_rows() -> None:
    parsed = adyen(BATCH_112.splitlines()[0] + "\n")
    assert (parsed.records(), parsed.quarantine, parsed.entries) == ([], [], 0)


def test_empty_file_is_rejected() -> None:
    assert "no CSV header" in rejected("\n\n")


def test_not_a_report_is_rejected() -> None:
    assert "not in the adyen layout: no column for" in rejected("hello,world\n1,2\n")


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("-75,57", ",", "-75.57"),
        ("1.234,50", ",", "1234.50"),
        ("1,234.50", ".", "1234.50"),
        (" 12.00 ", ".", "12.00"),
        ("+5", ".", "5"),
        ("1 234,5", ",", "1234.5"),
        ("0", ".", "0"),
        ("-0,00", ",", "0.00"),
    ],
)
def test_parse_decimal(text: str, separator: str, expected: str) -> None:
    assert format_decimal(parse_decimal(text, separator)) == expected


@pytest.mark.parametrize("text", ["", "1.2.3", "12,34", "1e5", "NaN", "--1", "12.", "1" * 25])
def test_parse_decimal_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(text, ".")


def test_parse_decimal_without_grouping() -> None:
    with pytest.raises(ValueError):
        parse_decimal("1,234.50", ".", grouping=False)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["-75,57", "0,00", "3,37"], ","),
        (["1.50", "0.00"], "."),
        (["1,234.56", "1,000"], "."),
        (["1.234,56"], ","),
        (["100", "1,000"], "."),  # undecidable -> '.'
        ([], "."),
    ],
)
def test_detect_decimal_separator(cells: list[str], expected: str) -> None:
    assert detect_decimal_separator(cells)[0] == expected


def test_mixed_decimal_separators_warn_and_quarantine_the_odd_rows() -> None:
    text = replace_line(BATCH_112, 2, ",98.80,1.20,", ',"98,80","1,20",')
    parsed = adyen(text)
    assert [q.row_number for q in parsed.quarantine] == [2]
    assert any("both '.'" in warning for warning in parsed.warnings)
