"""What every parser shares: the decode policy, the malformed-file error, reasons."""

from __future__ import annotations

import pytest

from lakehouse.bronze.formats.base import (
    Malformed,
    decode_text,
    problems_reason,
    rejecting,
)
from lakehouse.errors import FileRejected


@pytest.mark.parametrize(
    ("data", "text", "warning"),
    [
        (b"caf\xc3\xa9", "café", None),
        (b"\xef\xbb\xbfcaf\xc3\xa9", "café", None),
        (b"caf\xe9 \x80", "café €", "not UTF-8 (byte 3); read as cp1252"),
        (b"a\x81", "a\x81", "not UTF-8 (byte 1) nor cp1252 (byte 1); read as latin-1"),
    ],
)
def test_one_decode_policy(data: bytes, text: str, warning: str | None) -> None:
    assert decode_text(data) == (text, [warning] if warning else [])


def test_utf8_only_formats_reject_other_bytes() -> None:
    with pytest.raises(FileRejected, match=r"not UTF-8 \(invalid start byte at byte 1\)"):
        decode_text(b"a\xff", utf8_only=True)


def test_rejecting_names_the_path_and_words_malformed_files() -> None:
    with pytest.raises(FileRejected) as info, rejecting("in/x.bai"):
        raise Malformed("line 3: no 02 group header")
    assert (info.value.reason, info.value.path) == (
        "malformed: line 3: no 02 group header",
        "in/x.bai",
    )
    with pytest.raises(FileRejected) as info, rejecting("in/y.csv"):
        raise FileRejected("empty file")
    assert (info.value.reason, str(info.value)) == ("empty file", "in/y.csv: empty file")


def test_problems_reason_is_one_bounded_line() -> None:
    problems = [f"account {n} off" for n in range(8)]
    assert problems_reason("do not tie", problems[:2]) == "do not tie: account 0 off; account 1 off"
    reason = problems_reason("do not tie", problems, limit=3)
    assert reason == "do not tie: account 0 off; account 1 off; account 2 off; and 5 more"
