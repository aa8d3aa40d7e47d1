"""lakehouse.report: the offline HTML report over tiny gold tables (no Spark, no browser).

``build_gold`` writes three as-of dates of gold.daily_summary, gold.aging and
gold.recon_exceptions with the gold schemas (money as decimal128(18, 2)), one Delta
version per run carrying the run's as-of date in ``userMetadata`` like the pipeline
does. The browser test reuses it.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import CommitProperties, write_deltalake

from lakehouse.constants import STATES
from lakehouse.errors import LakehouseError
from lakehouse.report import (
    exception_amount_series,
    fmt_money,
    load_report_data,
    top_breaks,
    write_report,
)

DAYS = (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4))
LEGS = ("ledger_bank", "ledger_partner", "partner_bank")
MONEY = pa.decimal128(18, 2)
EVIL_REF = '<script>alert("x")</script> & co'

RUN_FIELDS = [
    pa.field("_as_of", pa.date32()),
    pa.field("_run_id", pa.string()),
    pa.field("_updated_at", pa.timestamp("us", tz="UTC")),
]
SUMMARY_SCHEMA = pa.schema(
    [
        pa.field("as_of_date", pa.date32(), nullable=False),
        pa.field("leg", pa.string(), nullable=False),
        pa.field("items", pa.int64()),
        *[
            field
            for state in STATES
            for field in (
                pa.field(f"{state.lower()}_items", pa.int64()),
                pa.field(f"{state.lower()}_amount", MONEY),
            )
        ],
        pa.field("match_rate", pa.float64()),
        *RUN_FIELDS,
    ]
)
AGING_SCHEMA = pa.schema(
    [
        pa.field("as_of_date", pa.date32(), nullable=False),
        pa.field("leg", pa.string(), nullable=False),
        pa.field("partner", pa.string(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("state", pa.string(), nullable=False),
        pa.field("aging_bucket", pa.string(), nullable=False),
        pa.field("item_count", pa.int64()),
        pa.field("amount", MONEY),
        pa.field("absolute_amount", MONEY),
        *RUN_FIELDS,
    ]
)
EXCEPTIONS_SCHEMA = pa.schema(
    [
        pa.field("leg", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("side", pa.string()),
        pa.field("source", pa.string()),
        pa.field("partner", pa.string()),
        pa.field("item_ref", pa.string()),
        pa.field("business_date", pa.date32()),
        pa.field("amount", MONEY),
        pa.field("currency", pa.string()),
        pa.field("reference", pa.string()),
        pa.field("state", pa.string()),
        pa.field("reason_code", pa.string()),
        pa.field("match_id", pa.string()),
        pa.field("age_days", pa.int32()),
        pa.field("aging_bucket", pa.string()),
        *RUN_FIELDS,
    ]
)


def _run(day: date) -> dict[str, Any]:
    return {
        "_as_of": day,
        "_run_id": f"run-{day:%Y%m%d}",
        "_updated_at": datetime(day.year, day.month, day.day, 23, 0, tzinfo=UTC),
    }


def _write(
    root: Path, table: str, schema: pa.Schema, rows: list[dict[str, Any]], day: date, mode: str
) -> None:
    meta = json.dumps({"run_id": f"run-{day:%Y%m%d}", "as_of": day.isoformat(), "step": "gold"})
    write_deltalake(
        str(root / "gold" / table),
        pa.Table.from_pylist(rows, schema=schema),
        mode=mode,  # type: ignore[arg-type]
        commit_properties=CommitProperties(custom_metadata={"userMetadata": meta}),
    )


def _bucket(age: int) -> str:
    return "0-1" if age <= 1 else "2-7" if age <= 7 else "8-30" if age <= 30 else "31-60"


def build_gold(root: Path) -> Path:
    """Three runs of tiny gold tables under ``root/gold`` (see the module docstring)."""
    for n, day in enumerate(DAYS):
        summary = []
        for i, leg in enumerate(LEGS):
            items = 100 + 10 * i + n
            counts = {"MATCHED": 90 + n + i, "PARTIAL": 1, "PENDING": 4 - n, "EXCEPTION": 3}
            counts["WRITTEN_OFF"] = items - sum(counts.values())
            row: dict[str, Any] = {"as_of_date": day, "leg": leg, "items": items}
            for state in STATES:
                row[f"{state.lower()}_items"] = counts[state]
                row[f"{state.lower()}_amount"] = Decimal(f"{counts[state] * 1000 + n}.25")
            row["match_rate"] = round(counts["MATCHED"] / items, 6)
            summary.append({**row, **_run(day)})
        _write(root, "daily_summary", SUMMARY_SCHEMA, summary, day, "append")

        aging = []
        for leg, partner, ccy in (
            ("ledger_partner", "adyen", "EUR"),
            ("ledger_partner", "stripe", "USD"),
            ("partner_bank", "adyen", "EUR"),
            ("ledger_bank", "-", "EUR"),
            ("ledger_bank", "-", "USD"),
        ):
            for state, bucket, count in (
                ("PENDING", "0-1", 5 + n),
                ("EXCEPTION", "2-7", 2),
                ("PARTIAL", "8-30", 1 + n),
                ("EXCEPTION", "31-60", n),
            ):
                if count == 0:
                    continue
                amount = Decimal(count * 1234) + Decimal("0.56")
                aging.append(
                    {
                        "as_of_date": day,
                        "leg": leg,
                        "partner": partner,
                        "currency": ccy,
                        "state": state,
                        "aging_bucket": bucket,
                        "item_count": count,
                        "amount": -amount,
                        "absolute_amount": amount,
                        **_run(day),
                    }
                )
        _write(root, "aging", AGING_SCHEMA, aging, day, "append")

        exceptions = []
        for k in range(22 + n):
            age = 1 + 3 * k
            ref = f"REF-{day:%m%d}-{k:03d}"
            if k == 5:
                ref = EVIL_REF
            exceptions.append(
                {
                    "leg": LEGS[k % 3],
                    "item_id": f"item-{k}",
                    "side": "left",
                    "source": "ledger",
                    "partner": "adyen" if k % 2 else "stripe",
                    "item_ref": ref,
                    "business_date": day,
                    "amount": Decimal(f"{(k + 1) * 1000 + 0.5:.2f}") * (-1 if k % 4 == 0 else 1),
                    "currency": "USD" if k % 2 else "EUR",
                    "reference": f"R{k}",
                    "state": "PARTIAL" if k % 3 == 0 else "EXCEPTION",
                    "reason_code": "AMOUNT_MISMATCH" if k % 2 else "MISSING_COUNTERPART",
                    "match_id": None,
                    "age_days": age,
                    "aging_bucket": _bucket(age),
                    **_run(day),
                }
            )
        _write(root, "recon_exceptions", EXCEPTIONS_SCHEMA, exceptions, day, "overwrite")
    return root


@pytest.fixture(scope="module")
def gold_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_gold(tmp_path_factory.mktemp("lake"))


@pytest.fixture(scope="module")
def page(gold_root: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("out") / "nested" / "report.html"
    assert write_report(out, root=str(gold_root)) == out
    return out.read_text(encoding="utf-8")


def test_report_has_the_three_charts_with_titles_axes_and_legends(page: str) -> None:
    for chart in ("chart-aging", "chart-match-rate", "chart-exception-amount"):
        svg = re.search(rf'<svg id="{chart}".*?</svg>', page, re.S)
        assert svg, chart
        body = svg.group(0)
        assert f'<title id="{chart}-title">' in body
        assert 'class="axis-label"' in body
        assert 'class="legend"' in body
        assert re.search(r'<(rect|polyline|path|circle) class="mark', body), chart
    assert "<title>Reconciliation report as of 2026-11-04</title>" in page
    assert re.search(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)


def test_charts_show_the_right_series(page: str) -> None:
    aging = re.search(r'<svg id="chart-aging".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    # partners as bars, buckets young -> old in the legend (drawn old first, top to bottom)
    for partner in ("adyen", "stripe", "(no partner)"):
        assert f"{partner}, 0-1 days:" in aging
    assert aging.index(">31-60<") < aging.index(">8-30<") < aging.index(">2-7<")
    # adyen: 2 legs x (7 + 2 + 3 + 2) open items on the last day
    assert "adyen, 0-1 days: 14 open items" in aging
    rates = re.search(r'<svg id="chart-match-rate".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    assert rates.count('<polyline class="mark line"') == len(LEGS)
    assert "ledger_bank, 2026-11-02: 90.0%" in rates
    amounts = re.search(r'<svg id="chart-exception-amount".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    assert amounts.count('<path class="mark area"') == 2  # EUR and USD, never added up
    assert "EUR, 2026-11-04:" in amounts and "USD, 2026-11-04:" in amounts


def test_headline_per_leg(page: str) -> None:
    for leg in LEGS:
        assert f'data-leg="{leg}"' in page
    card = re.search(r'<section class="card" data-leg="ledger_partner">.*?</section>', page)
    assert card
    assert "<dt>Items</dt><dd>112</dd>" in card.group(0)
    assert "83.0%" in card.group(0)  # 93 / 112
    assert "pp since 2026-11-03" in card.group(0)
    # open breaks (EXCEPTION + PARTIAL rows) per currency: 2468.56 + 3702.56 + 2468.56
    assert "EUR 8,639.68<br>USD 8,639.68" in card.group(0)


def test_top_breaks_table_lists_the_20_largest(page: str) -> None:
    table = re.search(r'<table id="top-breaks".*?</table>', page, re.S)
    assert table
    rows = re.findall(r"<tr class='break'>(.*?)</tr>", table.group(0))
    assert len(rows) == 20
    assert "Top 20 of 24 open breaks" in table.group(0)
    # largest absolute amount first, negative amounts ranked by absolute value
    assert "REF-1104-023" in rows[0] and "24,000.50" in rows[0]
    assert "-21,000.50" in rows[3]
    assert "REF-1104-003" not in table.group(0)  # 4,000.50: below the cut
    assert all(re.search(r"(EXCEPTION|PARTIAL)", r) for r in rows)
    assert "<td>AMOUNT_MISMATCH</td>" in rows[0] and "<td>USD</td>" in rows[0]


def test_page_is_self_contained(page: str) -> None:
    assert not re.search(r'(src|href)=["\']https?:', page)
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert re.search(r"<script[^>]+src=", page) is None
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in html.unescape(page)


def test_data_text_is_escaped(page: str) -> None:
    assert EVIL_REF not in page
    assert '<script>alert("x")' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in page
    # only the report's own two inline scripts
    assert page.count("<script>") == 2


def test_report_as_of_an_earlier_date_time_travels(gold_root: Path, tmp_path: Path) -> None:
    out = write_report(tmp_path / "r.html", date(2026, 11, 3), root=str(gold_root))
    page = out.read_text(encoding="utf-8")
    assert "<title>Reconciliation report as of 2026-11-03</title>" in page
    assert "Top 20 of 23 open breaks" in page  # the recon_exceptions version of that run
    assert "REF-1103-022" in page and "REF-1104" not in page
    assert "2026-11-04" not in page
    data = load_report_data(date(2026, 11, 3), str(gold_root))
    assert data.versions == {"gold.daily_summary": 2, "gold.aging": 1, "gold.recon_exceptions": 1}


def test_unknown_date_is_a_clear_error(gold_root: Path, tmp_path: Path) -> None:
    with pytest.raises(LakehouseError, match=r"no rows for as-of date 2026-12-01.*2026-11-02"):
        write_report(tmp_path / "r.html", date(2026, 12, 1), root=str(gold_root))
    assert not (tmp_path / "r.html").exists()


def test_missing_gold_tables_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LakehouseError) as info:
        write_report(tmp_path / "r.html", root=str(tmp_path / "empty-lake"))
    message = str(info.value)
    assert "gold.daily_summary" in message and "gold.recon_exceptions" in message
    assert "run `make demo` or `lakehouse run --date D` first" in message
    assert not (tmp_path / "r.html").exists()


def test_cli_report_command(
    gold_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakehouse.cli import main

    monkeypatch.setenv("LAKEHOUSE_ROOT", str(gold_root))
    out = tmp_path / "cli.html"
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--date", "2026-11-02", "--out", str(out)])
    assert exit_info.value.code == 0
    assert "Reconciliation report as of 2026-11-02" in out.read_text(encoding="utf-8")


def test_money_sums_stay_decimal() -> None:
    rows = [
        {
            "as_of_date": date(2026, 11, 2),
            "state": "EXCEPTION",
            "currency": "EUR",
            "absolute_amount": Decimal("0.10"),
        },
        {
            "as_of_date": date(2026, 11, 2),
            "state": "PARTIAL",
            "currency": "EUR",
            "absolute_amount": Decimal("0.20"),
        },
        {
            "as_of_date": date(2026, 11, 2),
            "state": "PENDING",
            "currency": "EUR",
            "absolute_amount": Decimal("5.00"),
        },
        {
            "as_of_date": date(2026, 11, 2),
            "state": "EXCEPTION",
            "currency": "USD",
            "absolute_amount": None,
        },
    ]
    series = exception_amount_series(rows, [date(2026, 11, 1), date(2026, 11, 2)])
    assert series == {
        "EUR": {date(2026, 11, 1): Decimal("0"), date(2026, 11, 2): Decimal("0.30")},
        "USD": {date(2026, 11, 1): Decimal("0"), date(2026, 11, 2): Decimal("0")},
    }
    assert fmt_money(Decimal("1234567.5")) == "1,234,567.50"
    assert fmt_money(Decimal("-0.005")) in ("-0.00", "-0.01")
    assert fmt_money(None) == "\u2013"


def test_top_breaks_ranks_by_absolute_amount_and_handles_nulls() -> None:
    rows = [
        {"leg": "a", "item_ref": "small", "amount": Decimal("1.00")},
        {"leg": "a", "item_ref": "null", "amount": None},
        {"leg": "a", "item_ref": "big-negative", "amount": Decimal("-50.00")},
    ]
    assert [r["item_ref"] for r in top_breaks(rows, 2)] == ["big-negative", "small"]
