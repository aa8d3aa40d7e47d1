"""Builders shared by the BAI2 tests: the checked parser, the real samples folder and
small files written record by record."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.bronze.formats.bai2 import parse as parse_unchecked
from lakehouse.bronze.formats.base import ParsedFile
from lakehouse.errors import FileRejected
from tests.bronze.formats.invariants import checked

parse = checked(parse_unchecked)

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples" / "bai2"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"real BAI2 samples not found at {SAMPLES} (the shared samples folder is missing)",
)
DIRTY_SAMPLE = "moov_sample4-continuations-newline-delimited.txt"


def bai2_bytes(*records: str, sep: str = "\n") -> bytes:
    return sep.join(records).encode()


def rejected(data: bytes) -> str:
    with pytest.raises(FileRejected) as info:
        parse(data, "test.bai2")
    assert info.value.path == "test.bai2"
    return info.value.reason


def txn_values(parsed: ParsedFile) -> list[dict[str, str | None]]:
    return [r.values for r in parsed.rows if r.values["record_type"] == "TXN"]


def balances(parsed: ParsedFile) -> dict[str | None, str | None]:
    return {
        r.values["balance_type"]: r.values["amount"]
        for r in parsed.rows
        if r.values["record_type"] == "BALANCE"
    }


# A file with one account; the 16 record(s) are inserted by the tests.
def one_account(*details: str, account_total: int, records: int, currency: str = "") -> bytes:
    return bai2_bytes(
        "01,SENDER,RECEIVER,230101,1200,1,80,1,2/",
        f"02,RECEIVER,SENDER,1,230102,,{currency},2/",
        "03,1234,,010,1000,,,015,2000,,/",
        *details,
        f"49,{account_total},{records}/",
        f"98,{account_total},1,{records + 2}/",
        f"99,{account_total},1,{records + 4}/",
    )
