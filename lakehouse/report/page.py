"""The report page: headline cards, top breaks, styles, and the file written."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lakehouse.constants import BREAK_STATES
from lakehouse.report.charts import aging_chart, exception_amount_chart, match_rate_chart
from lakehouse.report.data import (
    ZERO,
    ReportData,
    as_day,
    as_dec,
    as_float,
    as_int,
    as_text,
    load_report_data,
    top_breaks,
)
from lakehouse.report.fmt import esc, fmt_int, fmt_money, fmt_rate
from lakehouse.report.unapplied import unapplied_section

# ---- page sections -------------------------------------------------------------------


def _headline_cards(data: ReportData) -> str:
    dates = sorted({as_day(r["as_of_date"]) for r in data.summary})
    previous = max((d for d in dates if d < data.as_of), default=None)
    rows = {(as_text(r.get("leg")), as_day(r["as_of_date"])): r for r in data.summary}
    legs = sorted({leg for leg, day in rows if day == data.as_of})
    breaks: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in data.aging:
        if as_day(row["as_of_date"]) == data.as_of and row.get("state") in BREAK_STATES:
            breaks[as_text(row.get("leg"))][as_text(row.get("currency"))] += (
                as_dec(row.get("absolute_amount")) or ZERO
            )
    cards = []
    for leg in legs:
        row = rows[(leg, data.as_of)]
        rate = as_float(row.get("match_rate"))
        change = ""
        before = rows.get((leg, previous)) if previous else None
        old_rate = as_float(before.get("match_rate")) if before else None
        if rate is not None and old_rate is not None and previous is not None:
            delta = (rate - old_rate) * 100
            arrow = "\u25b2" if delta > 0.05 else "\u25bc" if delta < -0.05 else "\u25b6"
            change = (
                f'<div class="change">{arrow} {delta:+.1f} pp since '
                f"{esc(previous.isoformat())}</div>"
            )
        amounts = breaks.get(leg, {})
        amount_html = "<br>".join(
            f"{esc(ccy)} {esc(fmt_money(amounts[ccy]))}" for ccy in sorted(amounts)
        ) or esc(fmt_money(ZERO))
        stats = [
            ("Items", fmt_int(as_int(row.get("items")))),
            ("Matched", fmt_int(as_int(row.get("matched_items")))),
            ("Pending", fmt_int(as_int(row.get("pending_items")))),
            ("Partial", fmt_int(as_int(row.get("partial_items")))),
            ("Exceptions", fmt_int(as_int(row.get("exception_items")))),
            ("Written off", fmt_int(as_int(row.get("written_off_items")))),
        ]
        stat_html = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in stats)
        cards.append(
            f'<section class="card" data-leg="{esc(leg)}"><h3>{esc(leg)}</h3>'
            f'<div class="big">{esc(fmt_rate(rate))}</div><div class="sub">match rate</div>'
            f"{change}<dl>{stat_html}<dt>Open breaks</dt><dd>{amount_html}</dd></dl></section>"
        )
    if not cards:
        return '<p class="empty">No summary rows for this date.</p>'
    return '<div class="cards">' + "".join(cards) + "</div>"


def _why(answer: Mapping[str, Any] | None) -> tuple[str, str]:
    """(nearest candidate, the test it fails) of a break, from its explanation."""
    if answer is None:
        return "-", "-"
    details = answer.get("details") or {}
    tests: list[Mapping[str, Any]] = list(answer.get("criteria") or [])
    counterpart = ", ".join(details.get("counterpart_ids") or [])
    if not counterpart and answer.get("candidates"):
        best = answer["candidates"][0]
        counterpart, tests = str(best["item_id"]), list(best.get("criteria") or [])
    failed = next((t for t in tests if not t.get("passed")), None)
    if failed is None:
        if answer.get("reason_code") == "DUPLICATE" and details.get("duplicate_of"):
            held = details["duplicate_of"]
            return as_text(held.get("item_id")), "reference already held"
        return counterpart or "none", "no candidate" if not counterpart else "-"
    test = f"{failed['name']}: {failed['left']} vs {failed['right']} (limit {failed['limit']})"
    return counterpart or "none", test


def _breaks_table(data: ReportData) -> str:
    exceptions = data.exceptions
    rows = top_breaks(exceptions)
    if not rows:
        return '<p class="empty" id="top-breaks">No open breaks.</p>'
    head = (
        "<tr><th>#</th><th>Leg</th><th>Partner</th><th>Item</th><th>Reason</th>"
        "<th>State</th><th class='num'>Amount</th><th>Currency</th>"
        "<th class='num'>Age (days)</th><th>Bucket</th>"
        "<th>Nearest candidate</th><th>Failed test</th></tr>"
    )
    body = []
    for i, row in enumerate(rows, 1):
        item = as_text(row.get("item_ref"), as_text(row.get("item_id")))
        nearest, failed = _why(data.explanations.get((str(row["leg"]), str(row["item_id"]))))
        cells = [
            f"<td class='num'>{i}</td>",
            f"<td>{esc(as_text(row.get('leg')))}</td>",
            f"<td>{esc(as_text(row.get('partner')))}</td>",
            f"<td class='ref'>{esc(item)}</td>",
            f"<td>{esc(as_text(row.get('reason_code')))}</td>",
            f"<td>{esc(as_text(row.get('state')))}</td>",
            f"<td class='num'>{esc(fmt_money(as_dec(row.get('amount'))))}</td>",
            f"<td>{esc(as_text(row.get('currency')))}</td>",
            f"<td class='num'>{esc(fmt_int(as_int(row.get('age_days'))))}</td>",
            f"<td>{esc(as_text(row.get('aging_bucket')))}</td>",
            f"<td class='ref nearest'>{esc(nearest)}</td>",
            f"<td class='ref failed'>{esc(failed)}</td>",
        ]
        body.append("<tr class='break'>" + "".join(cells) + "</tr>")
    return (
        f'<table id="top-breaks" class="breaks"><caption>Top {len(rows)} of '
        f"{len(exceptions):,} open breaks by absolute amount, each with its nearest "
        "candidate and the test it fails</caption>"
        f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
    )


CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 40px; background: #f6f7f9; color: #1d2330;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: #5b6474; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 14px; }
.card { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 14px 16px; }
.card h3 { margin: 0; font-size: 14px; color: #3a4353; text-transform: none; }
.card .big { font-size: 30px; font-weight: 600; margin-top: 4px; }
.card .sub { color: #5b6474; font-size: 12px; }
.card .change { font-size: 12px; color: #3a4353; margin-top: 2px; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 10px 0 0; }
.card dt { color: #5b6474; } .card dd { margin: 0; text-align: right;
  font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid #dde1e7; border-radius: 8px;
  padding: 12px; }
figcaption { font-weight: 600; margin: 0 0 6px 4px; }
svg.chart { width: 100%; height: auto; display: block; font-size: 12px; }
svg .grid { stroke: #e6e9ee; } svg .axis-line, svg .tick-mark { stroke: #8a93a3; }
svg text { fill: #3a4353; } svg .axis-label { font-weight: 600; }
svg .legend-title { font-weight: 600; } svg .bar-total { font-size: 11px; }
svg .no-data { fill: #8a93a3; font-size: 14px; }
table.breaks { width: 100%; border-collapse: collapse; background: #fff;
  border: 1px solid #dde1e7; font-variant-numeric: tabular-nums; }
table.breaks caption { text-align: left; padding: 0 0 8px; color: #5b6474; }
table.breaks th, table.breaks td { padding: 6px 10px; border-bottom: 1px solid #eceff3;
  text-align: left; white-space: nowrap; }
table.breaks th { background: #eef1f5; font-weight: 600; }
table.breaks .num { text-align: right; }
table.breaks td.ref { white-space: normal; word-break: break-all; max-width: 320px; }
footer { margin-top: 28px; color: #5b6474; font-size: 12px; }
.empty { color: #5b6474; }
"""

# Only checks that every chart was drawn; the page needs no script to be read.
CHECK_SCRIPT = """
(function () {
  var ids = ["chart-aging", "chart-match-rate", "chart-exception-amount"];
  var problems = [];
  ids.forEach(function (id) {
    var svg = document.getElementById(id);
    if (!svg) { problems.push(id + " missing"); return; }
    var marks = svg.querySelectorAll("rect.mark, path.mark, polyline.mark, circle.mark");
    if (marks.length === 0 && svg.getAttribute("data-empty") !== "true") {
      problems.push(id + " has no shapes"); return;
    }
    var box = svg.getBBox();
    if (!(box.width > 0 && box.height > 0)) { problems.push(id + " has an empty box"); }
    svg.setAttribute("data-marks", String(marks.length));
  });
  if (window.__reportErrors.length) { problems = problems.concat(window.__reportErrors); }
  document.body.dataset.rendered = problems.length ? "error:" + problems.join("; ") : "ok";
})();
"""

ERROR_HOOK = """
window.__reportErrors = [];
window.onerror = function (message) {
  window.__reportErrors.push(String(message));
  if (document.body) { document.body.dataset.rendered = "error:" + String(message); }
};
"""

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; form-action 'none'; base-uri 'none'"
)


def page_head(title: str, generator: str, css: str = "", script: str = "") -> str:
    """The document's start up to ``<body>``: charset, viewport, the policy that forbids
    any network access, the title and inline styles (and script)."""
    hook = f"\n<script>{script}</script>" if script else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">
<meta name="generator" content="{esc(generator)}">
<title>{esc(title)}</title>
<style>{CSS}{css}</style>{hook}
</head>
<body>"""


def render_report(data: ReportData, generated_at: datetime | None = None) -> str:
    """The whole report as one HTML string (no external references)."""
    generated_at = generated_at or datetime.now(UTC)
    stamp = generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    run_days = {as_day(r["as_of_date"]) for r in data.summary}
    sources = ", ".join(f"{name} v{version}" for name, version in data.versions.items())
    title = f"Reconciliation report as of {data.as_of.isoformat()}"
    return f"""{page_head(title, "lakehouse report", script=ERROR_HOOK)}
<header>
<h1>{esc(title)}</h1>
<p>Generated {esc(stamp)} &middot; as-of date {esc(data.as_of.isoformat())} &middot;
{len(run_days)} as-of date(s) in history</p>
</header>
<h2>Headline per leg</h2>
{_headline_cards(data)}
<h2>Charts</h2>
<div class="charts">
<figure><figcaption>Aging of open items by partner</figcaption>
{aging_chart(data.aging, data.as_of)}
</figure>
<figure><figcaption>Match rate over time</figcaption>
{match_rate_chart(data.summary, data.as_of)}
</figure>
<figure><figcaption>Open exception amount over time</figcaption>
{exception_amount_chart(data.aging, run_days, data.as_of)}
</figure>
</div>
<h2>Top breaks</h2>
{_breaks_table(data)}
<h2>Decisions not applied</h2>
{unapplied_section(data.unapplied)}
<footer>Sources: {esc(sources)} under {esc(data.root)}. Amounts are absolute values in the
item's currency; the top breaks are ranked by absolute amount regardless of currency.</footer>
<script>{CHECK_SCRIPT}</script>
</body>
</html>
"""


def write_report(out: Path, as_of: date | None = None, root: str | None = None) -> Path:
    """Write the offline HTML report for ``as_of`` (default: the latest) to ``out``.

    Reads ``gold.daily_summary``, ``gold.aging`` and ``gold.recon_exceptions`` under
    ``root`` (default: the configured storage root) and returns ``out``. The file is
    written atomically (a temporary file renamed into place).
    """
    return write_page(out, render_report(load_report_data(as_of, root)))


def write_page(out: Path, page: str) -> Path:
    """Write ``page`` to ``out`` atomically (a temporary file renamed into place)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
