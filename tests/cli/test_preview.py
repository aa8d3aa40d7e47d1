"""``lakehouse preview`` without Spark: bad input fails before any Spark work, in one
line with exit 2; previews are listed and dropped; the flow's markdown and the HTML
page render a diff document."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lakehouse.config import CONF_DIR
from lakehouse.preview import scratch
from tests.cli.running import one_line_error, run_cli

RULES = (CONF_DIR / "rules.toml").read_text()


@pytest.fixture(autouse=True)
def no_spark(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any Spark session asked for in these tests is a failure."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("preview started Spark before checking its input")

    monkeypatch.setattr("lakehouse.spark.get_spark", refuse)


def _rules(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "loose.toml"
    assert old in RULES
    path.write_text(RULES.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("tolerance_pct = 0.0", "tolerance_pct = 0.0\ntolerence_abs = 1.0", "unknown keys"),
        ('right_filter = "record_class IN', 'right_filter = "record_class IN IN', "Spark SQL"),
        ("date_min = -1\ndate_max = 5", "date_min = 9\ndate_max = 5", "date_min 9 > date_max 5"),
        ('strategy = "one_to_one"', 'strategy = "one_to_two"', "strategy 'one_to_two'"),
    ],
)
def test_a_bad_rules_file_fails_before_spark_naming_the_file(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    old: str,
    new: str,
    says: str,
) -> None:
    rules = _rules(tmp_path, old, new)
    argv = ("preview", "--rules", str(rules), "--start", "2026-11-02", "--end", "2026-11-03")
    code, _, err = run_cli(monkeypatch, capsys, tmp_path / "lake", *argv)
    line = one_line_error(code, err)
    assert says in line and str(rules) in line
    assert not (tmp_path / "lake").exists()  # nothing written, not even the scratch


P = ("preview", "--rules", "conf/rules.toml")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("preview", "--rules", "nope.toml", "--start", "2026-11-02", "--end", "2026-11-03"),
         "nope.toml"),
        ((*P, "--start", "2026-11-05", "--end", "2026-11-03"), "before --start"),
        ((*P, "--start", "2026-11-02"), "needs --rules FILE --start D1 --end D2"),
        ((*P, "--start", "2026-13-02", "--end", "2026-11-03"), "not a date"),
        (("preview", "--drop", "20261102-20261103-feedbeef"),
         "no preview '20261102-20261103-feedbeef'"),
        (("preview", "--drop", "../gold"), "is not a preview id"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: tuple[str, ...],
    says: str,
) -> None:
    code, _, err = run_cli(monkeypatch, capsys, tmp_path / "lake", *argv)
    assert says in one_line_error(code, err)


def test_a_truth_folder_without_the_truth_fails_before_spark(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ("preview", "--rules", str(CONF_DIR / "rules.toml"), "--start", "2026-11-02")
    code, _, err = run_cli(
        monkeypatch, capsys, tmp_path / "lake", *argv, "--end", "2026-11-02", "--truth", "/nope"
    )
    assert "--truth /nope: no matches.csv or exceptions.csv there" in one_line_error(code, err)


def test_previews_are_listed_and_dropped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from lakehouse.config import load_settings

    root = tmp_path / "lake"
    monkeypatch.setenv("LAKEHOUSE_ROOT", str(root))
    settings = load_settings()
    kept = scratch.new_id(date(2026, 11, 2), date(2026, 11, 3))
    place = scratch.scratch_of(settings, kept)
    place.write_manifest(
        scratch.started(kept, Path("loose.toml"), date(2026, 11, 2), date(2026, 11, 3))
    )
    (Path(place.root) / "gold" / "recon_items").mkdir(parents=True)
    (root / "gold" / "recon_items").mkdir(parents=True)  # the real gold: never touched

    code, out, _ = run_cli(monkeypatch, capsys, root, "preview", "--list")
    assert code == 0 and kept in out and "loose.toml" in out and "running" in out

    code, _, err = run_cli(monkeypatch, capsys, root, "preview", "--drop", kept)
    assert code == 0 and kept in err
    assert not Path(place.root).exists()
    assert (root / "gold" / "recon_items").is_dir()
    code, out, _ = run_cli(monkeypatch, capsys, root, "preview", "--list")
    assert kept not in out


def _document(unchanged: bool) -> dict[str, Any]:
    leg = {
        "new_matches": 0 if unchanged else 3,
        "lost_matches": 0,
        "changed_matches": 0,
        "state_changes": {} if unchanged else {"PARTIAL/AMOUNT_MISMATCH->MATCHED": 6},
        "state_change_amounts": {}
        if unchanged
        else {"PARTIAL/AMOUNT_MISMATCH->MATCHED": {"EUR": "1203.00"}},
        "open_before": 9,
        "open_after": 9 if unchanged else 3,
    }
    example = {
        "kind": "new_match",
        "leg": "ledger_partner",
        "item_id": "LE-1",
        "item_ref": "LE-1 <script>",
        "amount": "-151.00",
        "currency": "EUR",
        "state_before": "PARTIAL/AMOUNT_MISMATCH",
        "state_after": "MATCHED",
        "match_before": None,
        "match_after": None,
        "explanation": {
            "before": {"summary": "PARTIAL by rule reference_with_break."},
            "after": {
                "summary": "MATCHED by rule loose.",
                "criteria": [
                    {"name": "amount", "passed": True, "left": "151.00", "right": "150.00",
                     "limit": "1.00"},
                ],
            },
        },
    }  # fmt: skip
    return {
        "rules": "loose.toml",
        "start": "2026-11-02",
        "end": "2026-11-07",
        "unchanged": unchanged,
        "legs": {"ledger_partner": leg},
        "total": leg,
        "truth": {
            "before": {
                "precision": 1.0,
                "recall": 1.0,
                "matches": {"precision": 1.0, "recall": 1.0},
                "exceptions": {"precision": 1.0, "recall": 1.0},
            },
            "after": {
                "precision": 0.98,
                "recall": 0.97,
                "matches": {"precision": 0.99, "recall": 1.0},
                "exceptions": {"precision": 1.0, "recall": 0.9},
            },
        },
        "examples": [] if unchanged else [example],
        "days": [{"as_of": "2026-11-02", "seconds": 1.0, "silver": "recorded"}],
        "preview": {"id": "x", "scratch": "/tmp/x", "kept": True, "seconds": 2.0},
    }


def test_the_html_page_is_self_contained_and_escapes_data(tmp_path: Path) -> None:
    from lakehouse.preview.html import write_html

    page = write_html(tmp_path / "diff.html", _document(False)).read_text()
    assert "LE-1 &lt;script&gt;" in page and "<script" not in page
    assert "http://" not in page and "https://" not in page
    assert "EUR 1,203.00" in page and "98.0%" in page
    assert 'id="examples-new_match"' in page
    same = write_html(tmp_path / "same.html", _document(True)).read_text()
    assert "give the same books" in same and "No item changes state" in same


def test_the_flow_markdown_lists_legs_and_changes() -> None:
    from flows.preview import markdown

    text = markdown(_document(False))
    assert "| ledger_partner | 3 | 0 | 0 | 9 | 3 |" in text
    assert "| ledger_partner | PARTIAL/AMOUNT_MISMATCH->MATCHED | 6 | EUR 1203.00 |" in text
    assert "precision 1.0 -> 0.98" in text
    assert "**Unchanged**" in markdown(_document(True))


def test_the_document_is_json_with_money_as_strings() -> None:
    text = json.dumps(_document(False))
    assert '"EUR": "1203.00"' in text
