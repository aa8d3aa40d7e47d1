"""No raw account number or counterparty name leaves bronze (the raw zone, like the
landing zone): not in silver, gold, any Delta log, nor in the run's output and logs.
The masking key is in no file of the lakehouse.

The raw values are those the bank statements carried, read back from bronze; every
file under silver/ and gold/ is searched byte for byte, and Parquet files also by
value (their pages are compressed: a byte search alone could miss a value).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.faults.conftest import LAST
from tests.faults.crash import run
from tests.faults.invariants import gold_differences, table

pytestmark = [pytest.mark.integration, pytest.mark.spark]

BANK_FEEDS = ("bai2", "camt053", "camt054", "mt940", "nacha")
RAW_COLUMNS = ("account_id", "counterparty_name", "counterparty_account")


def _raw_values(root: Path) -> set[str]:
    found: set[str] = set()
    for feed in BANK_FEEDS:
        rows = table(root, "bronze", feed)
        for column in RAW_COLUMNS:
            if column in rows:
                found |= {str(v).strip() for v in rows[column].dropna() if len(str(v).strip()) >= 6}
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _leaks(path: Path, secrets: set[str]) -> list[str]:
    data = path.read_bytes()
    hits = [s for s in secrets if s.encode() in data]
    if path.suffix == ".parquet":
        text = "\n".join(_strings(pq.read_table(path).to_pylist()))
        hits += [s for s in secrets if s in text]
    return sorted(set(hits))


def test_no_raw_account_or_name_outside_bronze(clean):
    root = clean.copy(clean.after_day2, "security")
    finished = run(clean.env(root), "run", "--date", LAST.isoformat())
    assert finished.code == 0, finished.stderr[-3000:]
    assert gold_differences(root, clean.gold) == []  # the CLI run ends like the clean run

    raw = _raw_values(root)
    assert len(raw) >= 3, raw  # our accounts and the statements' counterparties
    key = os.environ["LAKEHOUSE_MASKING_KEY"]
    leaks = {}
    for layer in ("silver", "gold"):
        for path in sorted((root / layer).rglob("*")):
            if path.is_file() and (found := _leaks(path, raw)):
                leaks[str(path.relative_to(root))] = found
    assert leaks == {}
    output = finished.stdout + finished.stderr
    assert [s for s in raw if s in output] == []
    for path in root.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), f"the masking key is in {path}"
