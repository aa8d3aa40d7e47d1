"""BAI2 controls and rejections: account, group and file totals and record counts, and
files that are not BAI2 rejected with a reason."""

from __future__ import annotations

import pytest

from tests.bronze.formats.bai2_builders import bai2_bytes, one_account, parse, rejected, txn_values


def test_blank_control_totals_warn_but_do_not_reject() -> None:
    data = bai2_bytes(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,,2/",
        "03,1234,/",
        "49,,2/",
        "98,,1,4/",
        "99,,1,6/",
    )
    parsed = parse(data, "x")
    assert parsed.warnings == [
        "account 1234 trailer 49 control total is blank; not checked",
        "group 1 trailer 98 control total is blank; not checked",
        "file trailer 99 control total is blank; not checked",
    ]
    assert parsed.totals["file_control_total"] == "0.00"


def test_account_total_off_rejects_with_precise_reason() -> None:
    data = one_account("16,195,500,,,,/", account_total=3600, records=3)
    reason = rejected(data)
    assert reason == (
        "control totals do not tie: account 1234 trailer 49 total 36.00 != computed 35.00; "
        "group 1 trailer 98 total 36.00 != computed 35.00; "
        "file trailer 99 total 36.00 != computed 35.00"
    )


def test_group_and_file_totals_checked_independently() -> None:
    data = bai2_bytes(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,JPY,2/",
        "03,1234,/",
        "16,195,500,,,,/",
        "49,500,3/",
        "98,501,1,5/",
        "99,500,1,7/",
    )
    assert rejected(data) == (
        "control totals do not tie: group 1 trailer 98 total 501 != computed 500"
    )


def test_record_counts_off_only_warn() -> None:
    data = bai2_bytes(
        "01,S,R,230101,1200,1,80,1,2/",
        "02,R,S,1,230102,,,2/",
        "03,1234,/",
        "16,195,500,,,,/",
        "49,500,9/",
        "98,500,2,9/",
        "99,500,3,,/",
    )
    parsed = parse(data, "x")
    assert parsed.warnings == [
        "account 1234 trailer 49 number of records 9 != counted 3",
        "group 1 trailer 98 number of accounts 2 != counted 1",
        "group 1 trailer 98 number of records 9 != counted 5",
        "file trailer 99 number of groups 3 != counted 1",
        "file trailer 99 number of records is blank; not checked",
    ]
    assert parsed.entries == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "malformed: no 01 file header: found an empty file"),
        (b"\n\n  \n", "malformed: no 01 file header: found an empty file"),
        (b"02,R,S,1,230102,,,2/", "malformed: no 01 file header: found 02 at line 1"),
        (b"hello world", "malformed: line 1: expected a BAI2 record code, found 'hello world'"),
        (b"88,TEXT/", "malformed: line 1: 88 continuation without a record before it"),
        (b"01,S,R,230101,1200,1,80,1,2/", "no 99 file trailer"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/", "no 98 group trailer"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/", "no 49 account trailer"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n98,0,1,3/",
         "line 4: account 1 (line 3) has no 49 account trailer: found 98"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,231302,,,2/", "as-of date '231302'"),
        (b"01,S,R,230101,1200,1,80,1,2/\n99,0,0,2/\n99,0,0,2/", "after the 99 file trailer"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1,,010,12X/",
         "03 summary 010 amount '12X' is not a number"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n16,195,1,Q,,,/",
         "unknown funds type 'Q'"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n16,,195,1,,,/",
         "16 type code '' is not a 3-digit type code"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n16,195,1,D,5,1,1/",
         "funds type D declares 5 distributions"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1/\n49,1e5,2/",
         "49 control total '1e5' is not a number"),
        (b"01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,US$,2/", "'US$' is not an ISO 4217"),
        (b"01,S,R,230101,1200,1,80,1,2/\n99," + b"9" * 40 + b",0,2/", "more than 18 digits"),
        (b"01,S,R,230101,1200,1,80,1,2/\n99,0,x,2/", "number of groups 'x' is not a number"),
    ],
)  # fmt: skip
def test_garbage_is_rejected_with_a_reason(data: bytes, expected: str) -> None:
    assert expected in rejected(data)


def test_non_utf8_bytes_are_read_as_latin1() -> None:
    data = one_account("16,195,500,,,,CAFÉ/", account_total=3500, records=3)
    (txn,) = txn_values(parse(data.replace("É".encode(), b"\xc9"), "x"))
    assert txn["description"] == "CAFÉ"
