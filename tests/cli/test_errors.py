"""Every command's bad input: one line naming the input and the fix, exit 2, no
traceback; output piped into ``head`` ends quietly; JSON carries money as exact decimal
strings and dates as ISO dates. No JVM starts in these tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from tests.cli.running import one_line_error, run_cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """A lakehouse with one small gold table: money, a date, a timestamp."""
    root = tmp_path / "lake"
    data = pa.table(
        {
            "item_id": pa.array(["A", "B"]),
            "amount": pa.array([Decimal("43.20"), Decimal("-0.05")], pa.decimal128(18, 2)),
            "business_date": pa.array([date(2026, 11, 2), date(2026, 11, 3)], pa.date32()),
        }
    )
    write_deltalake(str(root / "gold" / "recon_exceptions"), data)
    return root


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("audit", "--table", "recon_exceptions", "--as-of-version", "-1"), "is negative"),
        (("audit", "--table", "recon_exceptions", "--as-of-version", "x"), "not a whole number"),
        (("audit", "--table", "recon_exceptions", "--as-of-version", "9999"), "versions 0..0"),
        (("audit", "--table", "nope"), "gold.nope not found"),
        (("audit", "--table", "recon_exceptions", "--as-of", "2026-02-30"), "is not a date"),
        (("run", "--date", "2026-13-01"), "'2026-13-01' is not a date; use YYYY-MM-DD"),
        (("backfill", "--start", "2026-11-03", "--end", "2026-11-02"), "is before --start"),
        (("score", "--truth", "/nope"), "--truth /nope: no matches.csv there"),
        (("match", "--leg", "ledger_partner", "--left", "A"), "required: --reason, --right"),
        (("write-off", "--leg", "nope", "--item", "A", "--reason", "r"), "invalid choice"),
        (("exceptions", "--min-amount", "1e5x"), "is not an amount"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, lake, argv, says):
    line = one_line_error(*run_cli(monkeypatch, capsys, lake, *argv)[::2])
    assert says in line


def test_a_root_that_is_a_file_is_one_line_before_any_jvm(monkeypatch, capsys, tmp_path):
    root = tmp_path / "a-file"
    root.write_text("not a folder")
    code, _, err = run_cli(monkeypatch, capsys, root, "run", "--date", "2026-11-02")
    assert "is not a directory; point LAKEHOUSE_ROOT" in one_line_error(code, err)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("LAKEHOUSE__RECONCILE__WINDOW_DAYS", "abc", "[reconcile] window_days must be an integer"),
        ("LAKEHOUSE__RECONCILE__WINDOW_DAYS", "0", "[reconcile] window_days must be >= 1"),
        ("LAKEHOUSE__RECONCILE__WINDOWDAYS", "3", "LAKEHOUSE__RECONCILE__WINDOWDAYS names no"),
        ("LAKEHOUSE__LEASE__WAIT_SECONDS", "soon", "[lease] wait_seconds must be a number"),
    ],
)
def test_a_bad_configuration_override_keeps_its_section_name(
    monkeypatch, capsys, lake, name, value, says
):
    code, _, err = run_cli(
        monkeypatch, capsys, lake, "run", "--date", "2026-11-02", **{name: value}
    )
    assert says in one_line_error(code, err)


def test_audit_json_has_exact_money_and_iso_dates(monkeypatch, capsys, lake):
    code, out, _ = run_cli(
        monkeypatch, capsys, lake, "audit", "--table", "recon_exceptions", "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["version"] == 0 and doc["rows"] == 2
    assert doc["data"][0] == {"item_id": "A", "amount": "43.20", "business_date": "2026-11-02"}
    assert doc["data"][1]["amount"] == "-0.05"


def test_output_piped_into_head_ends_quietly(tmp_path):
    root = tmp_path / "lake"
    rows = 20_000
    data = pa.table(
        {
            "item_id": pa.array([f"ITEM-{i:06d}" for i in range(rows)]),
            "amount": pa.array([Decimal(i) / 100 for i in range(rows)], pa.decimal128(18, 2)),
        }
    )
    write_deltalake(str(root / "gold" / "recon_exceptions"), data)
    command = (
        f"{sys.executable} -m lakehouse.cli audit --table recon_exceptions --json "
        f"--limit {rows} 2>{tmp_path / 'err'} | head -3; exit ${{PIPESTATUS[0]}}"
    )
    env = {**os.environ, "LAKEHOUSE_ROOT": str(root), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.stdout.count("\n") == 3
    assert (tmp_path / "err").read_text() == ""
    assert done.returncode == 0
