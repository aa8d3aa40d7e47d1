"""Partner CSV header binding (``partner_header``): column names matched ignoring case
and spaces, unknown columns, and headers that reject the file."""

from __future__ import annotations

import json

import pytest

from lakehouse.bronze.formats.base import FileRejected
from lakehouse.bronze.formats.partner_csv import default_layouts, parser_for
from tests.bronze.formats.partner_csv_builders import (
    ADYEN_LAYOUT_COLUMNS,
    BATCH_112,
    adyen,
    amounts,
    rejected,
)


def test_adyen_headers_match_ignoring_case_and_spaces() -> None:
    header, rest = BATCH_112.split("\n", 1)
    shouted = header.upper().replace("PSP REFERENCE", " psp  Reference ")
    parsed = adyen(shouted + "\n" + rest)
    assert amounts(parsed, "psp_reference")[0] == "8515131751004933"
    assert amounts(parsed, "net_amount")[0] == "31.15"


def test_adyen_layout_knows_every_documented_column() -> None:
    layout = default_layouts()["adyen"]
    assert set(ADYEN_LAYOUT_COLUMNS) <= set(layout.known_headers)
    header = BATCH_112.split("\n", 1)[0].split(",")
    assert header == ADYEN_LAYOUT_COLUMNS


def test_adyen_unknown_column_is_a_warning_and_kept_in_raw() -> None:
    lines = BATCH_112.splitlines()
    text = "\n".join([lines[0] + ",Acquirer Reference"] + [line + ",ARN-1" for line in lines[1:]])
    parsed = adyen(text)
    assert len(parsed.records()) == 6
    assert parsed.warnings == [
        "columns not in the adyen layout (kept in raw only): Acquirer Reference"
    ]
    assert json.loads(parsed.records()[0].values["raw"] or "")["Acquirer Reference"] == "ARN-1"


def test_adyen_missing_required_column_rejects_the_file() -> None:
    header, rest = BATCH_112.split("\n", 1)
    reason = rejected(header.replace("Batch Number", "Batch") + "\n" + rest)
    assert "no column for batch_id" in reason and "'Batch Number'" in reason


def test_adyen_credit_without_debit_column_rejects_the_file() -> None:
    header, rest = BATCH_112.split("\n", 1)
    reason = rejected(header.replace("Net Debit (NC)", "Net Debit") + "\n" + rest)
    assert "'Net Credit (NC)' is present" in reason and "'Net Debit (NC)'" in reason


def test_adyen_repeated_mapped_header_rejects_the_file() -> None:
    header, rest = BATCH_112.split("\n", 1)
    reason = rejected(header.replace("Reserved4", "Type") + "\n" + rest)
    assert "'Type' appears more than once" in reason


def test_rejection_names_the_path() -> None:
    with pytest.raises(FileRejected) as info:
        parser_for("adyen")(b"", "landing/adyen/x.csv")
    assert info.value.path == "landing/adyen/x.csv"
