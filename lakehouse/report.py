"""``lakehouse report``: one self-contained, offline HTML page over the gold tables.

The page shows, for one as-of date (default: the latest date in ``gold.daily_summary``):

* a title with the as-of date and the generation time (UTC);
* headline numbers per leg: match rate (and its change since the previous as-of
  date), item counts per state and the open break amount per currency;
* **chart-aging**: stacked bars of the open items (PENDING, PARTIAL, EXCEPTION) per
  partner, one stack segment per aging bucket, from ``gold.aging``;
* **chart-match-rate**: one line per leg, the match rate over the as-of dates up to
  the chosen one, from ``gold.daily_summary``;
* **chart-exception-amount**: the open break amount (sum of ``absolute_amount`` of
  EXCEPTION and PARTIAL items) over the as-of dates, one line/area per currency
  (amounts in different currencies are never added up), from ``gold.aging``;
* the top 20 open breaks by absolute amount from ``gold.recon_exceptions``.

Everything is in the one file: inline CSS, charts drawn here as inline SVG, and a tiny
inline script that only checks the charts were drawn (it sets ``data-rendered`` on
``<body>`` to ``ok`` or ``error:<message>``; the page is complete without it). There
are no external URLs at all and a Content-Security-Policy forbids any network access,
so the page works offline and can be mailed around. All data text is HTML-escaped.
Money is read as ``Decimal`` and summed as ``Decimal``; floats are used only for the
SVG geometry.

The gold tables are read without a JVM through :mod:`lakehouse.readers`. With a date,
``gold.aging`` and ``gold.recon_exceptions`` are read as the books closed on that date
(Delta time travel on the runs' recorded as-of dates, see :mod:`lakehouse.asof`).
"""

from __future__ import annotations

import html
import math
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lakehouse.constants import BREAK_STATES
from lakehouse.errors import LakehouseError
from lakehouse.readers import open_delta, open_table, resolve_root
from lakehouse.report_decisions import load_unapplied, unapplied_section
from lakehouse.storage import locate

SUMMARY_TABLE = "gold.daily_summary"
AGING_TABLE = "gold.aging"
EXCEPTIONS_TABLE = "gold.recon_exceptions"

TOP_BREAKS = 20

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
CATEGORICAL = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
# Young -> old aging buckets, light -> dark.
SEQUENTIAL = ("#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000", "#7f0000")
UNKNOWN_BUCKET_COLOUR = "#9e9e9e"

ZERO = Decimal("0.00")
NO_PARTNER = "(no partner)"


# ---- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportData:
    """The rows the report is drawn from (already limited to dates <= ``as_of``)."""

    as_of: date
    summary: list[dict[str, Any]]
    aging: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    versions: dict[str, int]
    root: str
    unapplied: list[dict[str, Any]] = field(default_factory=list)


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _dec(value: Any) -> Decimal | None:
    if _missing(value):
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def _float(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def _text(value: Any, default: str = "-") -> str:
    return default if _missing(value) or value == "" else str(value)


def load_report_data(as_of: date | None = None, root: str | None = None) -> ReportData:
    """Read the three gold tables for the report (``as_of`` None: the latest as-of date).

    Raises :class:`LakehouseError` when a table is missing, empty, or has no run on or
    before the requested date.
    """
    names = (SUMMARY_TABLE, AGING_TABLE, EXCEPTIONS_TABLE)
    base, s3 = resolve_root(root)
    uris = {name: locate(base, name) for name in names}
    missing = [f"{name} ({uri})" for name, uri in uris.items() if open_delta(uri, s3) is None]
    if missing:
        when = f"--date {as_of.isoformat()}" if as_of else "--date D"
        raise LakehouseError(
            f"gold table(s) missing: {', '.join(missing)}; "
            f"run `make demo` or `lakehouse run {when}` first"
        )

    versions: dict[str, int] = {}
    summary_table = open_table(SUMMARY_TABLE, root=base)
    versions[SUMMARY_TABLE] = summary_table.version()
    summary = _records(summary_table.to_pandas())
    dates = sorted({_day(r["as_of_date"]) for r in summary})
    if not dates:
        raise LakehouseError(
            f"{SUMMARY_TABLE} at {uris[SUMMARY_TABLE]} is empty; "
            "run `make demo` or `lakehouse run --date D` first"
        )
    requested = as_of is not None
    if as_of is None:
        as_of = dates[-1]
    elif as_of not in dates:
        raise LakehouseError(
            f"{SUMMARY_TABLE} has no rows for as-of date {as_of}; it has "
            f"{dates[0]} .. {dates[-1]} ({len(dates)} dates); pick one of those or run "
            f"`lakehouse run --date {as_of.isoformat()}` first"
        )
    summary = [r for r in summary if _day(r["as_of_date"]) <= as_of]

    # With a date: the versions as the books closed on it (time travel on the runs'
    # recorded as-of dates); without one: the newest versions.
    travel = as_of if requested else None
    aging_table = open_table(AGING_TABLE, travel, base)
    versions[AGING_TABLE] = aging_table.version()
    aging = [r for r in _records(aging_table.to_pandas()) if _day(r["as_of_date"]) <= as_of]
    exceptions_table = open_table(EXCEPTIONS_TABLE, travel, base)
    versions[EXCEPTIONS_TABLE] = exceptions_table.version()
    exceptions = _records(exceptions_table.to_pandas())
    root_uri = uris[SUMMARY_TABLE].rsplit("/gold/", 1)[0]
    unapplied = load_unapplied(travel, base)
    return ReportData(as_of, summary, aging, exceptions, versions, root_uri, unapplied)


# ---- formatting ----------------------------------------------------------------------


def esc(value: Any) -> str:
    """HTML-escape any value (quotes too, so the result is safe in attributes)."""
    return html.escape(str(value), quote=True)


def fmt_money(value: Decimal | None) -> str:
    """``1234.5`` -> ``1,234.50``; None -> an en dash."""
    if value is None:
        return "\u2013"
    return f"{value.quantize(Decimal('0.01')):,.2f}"


def fmt_int(value: int | None) -> str:
    return "\u2013" if value is None else f"{value:,}"


def fmt_rate(value: float | None) -> str:
    return "\u2013" if value is None else f"{value * 100:.1f}%"


def _dsum(values: Iterable[Decimal | None]) -> Decimal:
    total = ZERO
    for value in values:
        if value is not None:
            total += value
    return total


def _bucket_key(label: str) -> tuple[int, str]:
    match = re.match(r"\s*(\d+)", label)
    return (int(match.group(1)) if match else 1_000_000, label)


def _fmt_num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


# ---- SVG helpers ---------------------------------------------------------------------


def _ticks(lo: float, hi: float, target: int = 5, integer: bool = False) -> list[float]:
    """Round tick values covering [lo, hi] (about ``target`` intervals)."""
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude * (1 + 1e-9))
    if integer:
        step = max(1.0, math.ceil(step))
    start = math.floor(lo / step + 1e-9) * step
    end = math.ceil(hi / step - 1e-9) * step
    count = round((end - start) / step)
    return [start + i * step for i in range(count + 1)]


@dataclass(frozen=True)
class _Frame:
    """Chart geometry: the viewBox and the plot area inside it (legend on the right)."""

    width: int = 760
    height: int = 340
    left: int = 84
    right: int = 170
    top: int = 20
    bottom: int = 64

    @property
    def x0(self) -> float:
        return float(self.left)

    @property
    def x1(self) -> float:
        return float(self.width - self.right)

    @property
    def y0(self) -> float:
        return float(self.top)

    @property
    def y1(self) -> float:
        return float(self.height - self.bottom)


def _svg_open(chart_id: str, frame: _Frame, title: str, desc: str, empty: bool) -> list[str]:
    empty_attr = ' data-empty="true"' if empty else ""
    return [
        f'<svg id="{esc(chart_id)}" class="chart" viewBox="0 0 {frame.width} {frame.height}" '
        f'role="img" aria-labelledby="{esc(chart_id)}-title {esc(chart_id)}-desc"{empty_attr}>',
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>',
        f'<desc id="{esc(chart_id)}-desc">{esc(desc)}</desc>',
    ]


def _y_axis(
    frame: _Frame, ticks: Sequence[float], label: str, fmt: Callable[[float], str]
) -> list[str]:
    lo, hi = ticks[0], ticks[-1]
    parts = ['<g class="axis y-axis">']
    for tick in ticks:
        y = frame.y1 - (tick - lo) / (hi - lo) * (frame.y1 - frame.y0)
        parts.append(
            f'<line class="grid" x1="{_fmt_num(frame.x0)}" x2="{_fmt_num(frame.x1)}" '
            f'y1="{_fmt_num(y)}" y2="{_fmt_num(y)}"/>'
            f'<text class="tick" x="{_fmt_num(frame.x0 - 6)}" y="{_fmt_num(y + 4)}" '
            f'text-anchor="end">{esc(fmt(tick))}</text>'
        )
    mid = (frame.y0 + frame.y1) / 2
    parts.append(
        f'<line class="axis-line" x1="{_fmt_num(frame.x0)}" x2="{_fmt_num(frame.x0)}" '
        f'y1="{_fmt_num(frame.y0)}" y2="{_fmt_num(frame.y1)}"/>'
        f'<text class="axis-label" transform="rotate(-90)" x="{_fmt_num(-mid)}" y="16" '
        f'text-anchor="middle">{esc(label)}</text></g>'
    )
    return parts


def _x_axis_line(frame: _Frame, label: str) -> str:
    return (
        f'<line class="axis-line" x1="{_fmt_num(frame.x0)}" x2="{_fmt_num(frame.x1)}" '
        f'y1="{_fmt_num(frame.y1)}" y2="{_fmt_num(frame.y1)}"/>'
        f'<text class="axis-label" x="{_fmt_num((frame.x0 + frame.x1) / 2)}" '
        f'y="{frame.height - 8}" text-anchor="middle">{esc(label)}</text>'
    )


def _legend(frame: _Frame, title: str, entries: Sequence[tuple[str, str]], kind: str) -> list[str]:
    x = frame.x1 + 20
    parts = [
        f'<g class="legend"><text class="legend-title" x="{_fmt_num(x)}" '
        f'y="{frame.y0 + 10}">{esc(title)}</text>'
    ]
    for i, (label, colour) in enumerate(entries):
        y = frame.y0 + 30 + i * 20
        if kind == "line":
            swatch = (
                f'<line x1="{_fmt_num(x)}" x2="{_fmt_num(x + 16)}" y1="{y - 4}" '
                f'y2="{y - 4}" stroke="{esc(colour)}" stroke-width="3"/>'
            )
        else:
            swatch = (
                f'<rect x="{_fmt_num(x)}" y="{y - 10}" width="14" height="12" '
                f'fill="{esc(colour)}"/>'
            )
        parts.append(
            f'<g class="legend-item">{swatch}<text x="{_fmt_num(x + 22)}" y="{y}">'
            f"{esc(_short(label, 18))}<title>{esc(label)}</title></text></g>"
        )
    parts.append("</g>")
    return parts


def _no_data(frame: _Frame, message: str) -> str:
    return (
        f'<text class="no-data" x="{_fmt_num((frame.x0 + frame.x1) / 2)}" '
        f'y="{_fmt_num((frame.y0 + frame.y1) / 2)}" text-anchor="middle">'
        f"{esc(message)}</text>"
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# ---- charts --------------------------------------------------------------------------


def aging_chart(aging: Sequence[Mapping[str, Any]], as_of: date) -> str:
    """Stacked bars: open items per partner (x), one segment per aging bucket."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in aging:
        if _day(row["as_of_date"]) != as_of:
            continue
        partner = _text(row.get("partner"))
        partner = NO_PARTNER if partner == "-" else partner  # gold.aging's placeholder
        bucket = _text(row.get("aging_bucket"))
        counts[partner][bucket] += _int(row.get("item_count")) or 0
    partners = sorted(counts, key=lambda p: (-sum(counts[p].values()), p))
    buckets = sorted({b for per in counts.values() for b in per}, key=_bucket_key)
    known = [b for b in buckets if _bucket_key(b)[0] != 1_000_000]
    colours: dict[str, str] = {}
    for i, bucket in enumerate(known):
        index = 0 if len(known) == 1 else round(i * (len(SEQUENTIAL) - 1) / (len(known) - 1))
        colours[bucket] = SEQUENTIAL[index]
    for bucket in buckets:
        colours.setdefault(bucket, UNKNOWN_BUCKET_COLOUR)

    frame = _Frame(bottom=90 if len(partners) > 6 else 64)
    title = f"Open items by aging bucket and partner, as of {as_of.isoformat()}"
    total = sum(sum(per.values()) for per in counts.values())
    desc = (
        f"Stacked bars: {total:,} open items (pending, partial, exception) over "
        f"{len(partners)} partners, split by age bucket in days."
    )
    parts = _svg_open("chart-aging", frame, title, desc, empty=not partners)
    highest = max((sum(per.values()) for per in counts.values()), default=0)
    ticks = _ticks(0.0, float(max(highest, 1)), integer=True)
    parts += _y_axis(frame, ticks, "Open items", lambda v: f"{v:,.0f}")
    parts.append(_x_axis_line(frame, "Partner"))
    if not partners:
        parts.append(_no_data(frame, "No open items on this date"))
    band = (frame.x1 - frame.x0) / max(len(partners), 1)
    bar = min(band * 0.64, 72.0)
    scale = (frame.y1 - frame.y0) / ticks[-1]
    parts.append('<g class="data">')
    for i, partner in enumerate(partners):
        x = frame.x0 + i * band + (band - bar) / 2
        y = frame.y1
        for bucket in buckets:
            n = counts[partner].get(bucket, 0)
            if n <= 0:
                continue
            h = n * scale
            y -= h
            parts.append(
                f'<rect class="mark bar" x="{_fmt_num(x)}" y="{_fmt_num(y)}" '
                f'width="{_fmt_num(bar)}" height="{_fmt_num(h)}" fill="{colours[bucket]}">'
                f"<title>{esc(partner)}, {esc(bucket)} days: {n:,} open items</title></rect>"
            )
        centre = x + bar / 2
        partner_total = sum(counts[partner].values())
        parts.append(
            f'<text class="bar-total" x="{_fmt_num(centre)}" y="{_fmt_num(y - 4)}" '
            f'text-anchor="middle">{partner_total:,}</text>'
        )
        if len(partners) > 6:
            parts.append(
                f'<text class="tick" transform="translate({_fmt_num(centre)},'
                f'{_fmt_num(frame.y1 + 12)}) rotate(-35)" text-anchor="end">'
                f"{esc(_short(partner, 14))}<title>{esc(partner)}</title></text>"
            )
        else:
            parts.append(
                f'<text class="tick" x="{_fmt_num(centre)}" '
                f'y="{_fmt_num(frame.y1 + 16)}" text-anchor="middle">'
                f"{esc(_short(partner, 16))}<title>{esc(partner)}</title></text>"
            )
    parts.append("</g>")
    parts += _legend(frame, "Age (days)", [(b, colours[b]) for b in reversed(buckets)], "rect")
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class _Point:
    day: date
    value: float
    label: str


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    series: Mapping[str, Sequence[_Point]],
    y_label: str,
    ticks: Sequence[float],
    y_fmt: Callable[[float], str],
    legend_title: str,
    area: bool = False,
) -> str:
    """Lines over as-of dates (x is a true time axis), one per series, dots per point."""
    frame = _Frame()
    names = sorted(series)
    days = sorted({p.day for points in series.values() for p in points})
    parts = _svg_open(chart_id, frame, title, desc, empty=not days)
    parts += _y_axis(frame, ticks, y_label, y_fmt)
    parts.append(_x_axis_line(frame, "As-of date"))
    if not days:
        parts.append(_no_data(frame, "No data"))
    lo, hi = ticks[0], ticks[-1]
    span = (days[-1] - days[0]).days if days else 0

    def x_of(day: date) -> float:
        if span == 0:
            return (frame.x0 + frame.x1) / 2
        return frame.x0 + 12 + (day - days[0]).days / span * (frame.x1 - frame.x0 - 24)

    def y_of(value: float) -> float:
        clipped = min(max(value, lo), hi)
        return frame.y1 - (clipped - lo) / (hi - lo) * (frame.y1 - frame.y0)

    every = max(1, math.ceil(len(days) / 7))
    parts.append('<g class="axis x-axis">')
    for i, day in enumerate(days):
        x = x_of(day)
        parts.append(
            f'<line class="tick-mark" x1="{_fmt_num(x)}" x2="{_fmt_num(x)}" '
            f'y1="{_fmt_num(frame.y1)}" y2="{_fmt_num(frame.y1 + 4)}"/>'
        )
        if i % every == 0:
            parts.append(
                f'<text class="tick" x="{_fmt_num(x)}" y="{_fmt_num(frame.y1 + 18)}" '
                f'text-anchor="middle">{esc(day.isoformat())}</text>'
            )
    parts.append("</g>")
    colours = {name: CATEGORICAL[i % len(CATEGORICAL)] for i, name in enumerate(names)}
    parts.append('<g class="data">')
    for name in names:
        points = sorted(series[name], key=lambda p: p.day)
        if not points:
            continue
        colour = colours[name]
        coords = " ".join(f"{_fmt_num(x_of(p.day))},{_fmt_num(y_of(p.value))}" for p in points)
        if area and len(points) > 1:
            base = _fmt_num(y_of(lo))
            path = (
                f"M{_fmt_num(x_of(points[0].day))},{base} L"
                + " L".join(f"{_fmt_num(x_of(p.day))},{_fmt_num(y_of(p.value))}" for p in points)
                + f" L{_fmt_num(x_of(points[-1].day))},{base} Z"
            )
            parts.append(
                f'<path class="mark area" d="{path}" fill="{colour}" '
                f'fill-opacity="0.14" stroke="none"/>'
            )
        if len(points) > 1:
            parts.append(
                f'<polyline class="mark line" points="{coords}" fill="none" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        for p in points:
            parts.append(
                f'<circle class="mark dot" cx="{_fmt_num(x_of(p.day))}" '
                f'cy="{_fmt_num(y_of(p.value))}" r="3.5" fill="{colour}">'
                f"<title>{esc(name)}, {esc(p.day.isoformat())}: {esc(p.label)}</title></circle>"
            )
    parts.append("</g>")
    parts += _legend(frame, legend_title, [(n, colours[n]) for n in names], "line")
    parts.append("</svg>")
    return "\n".join(parts)


def match_rate_chart(summary: Sequence[Mapping[str, Any]], as_of: date) -> str:
    """Match rate per leg over the as-of dates up to ``as_of``."""
    series: dict[str, list[_Point]] = defaultdict(list)
    for row in summary:
        rate = _float(row.get("match_rate"))
        if rate is not None:
            series[_text(row.get("leg"))].append(
                _Point(_day(row["as_of_date"]), rate, fmt_rate(rate))
            )
    rates = [p.value for points in series.values() for p in points]
    low = max(0.0, min(rates, default=0.0) - 0.05)
    ticks = [t for t in _ticks(low, 1.0) if t <= 1.0 + 1e-9]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 0.1
    return line_chart(
        "chart-match-rate",
        f"Match rate per leg over as-of dates, up to {as_of.isoformat()}",
        "Lines: matched items / all items the run looked at, per reconciliation leg.",
        series,
        "Match rate",
        ticks,
        lambda v: f"{v * 100:.0f}%" if step >= 0.01 else f"{v * 100:.1f}%",
        "Leg",
    )


def exception_amount_series(
    aging: Sequence[Mapping[str, Any]], days: Iterable[date]
) -> dict[str, dict[date, Decimal]]:
    """Open break amount (EXCEPTION + PARTIAL, absolute) per currency and as-of date.

    Days with runs but without breaks in a currency count as zero.
    """
    totals: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for row in aging:
        if row.get("state") not in BREAK_STATES:
            continue
        per_day = totals[_text(row.get("currency"))]
        day = _day(row["as_of_date"])
        per_day[day] = per_day.get(day, ZERO) + (_dec(row.get("absolute_amount")) or ZERO)
    all_days = set(days)
    for per_day in totals.values():
        all_days |= set(per_day)
    return {
        ccy: {d: per_day.get(d, ZERO) for d in sorted(all_days)} for ccy, per_day in totals.items()
    }


def exception_amount_chart(
    aging: Sequence[Mapping[str, Any]], days: Iterable[date], as_of: date
) -> str:
    """Open break amount per currency over the as-of dates (line + area)."""
    amounts = exception_amount_series(aging, days)
    series = {
        ccy: [_Point(d, float(v), f"{ccy} {fmt_money(v)}") for d, v in per_day.items()]
        for ccy, per_day in amounts.items()
    }
    highest = max((p.value for points in series.values() for p in points), default=0.0)
    ticks = _ticks(0.0, max(highest, 1.0))
    step = ticks[1] - ticks[0]
    return line_chart(
        "chart-exception-amount",
        f"Open exception amount per currency over as-of dates, up to {as_of.isoformat()}",
        "Lines with areas: sum of absolute amounts of open EXCEPTION and PARTIAL items per "
        "currency and as-of date (currencies are not added together).",
        series,
        "Open break amount (abs.)",
        ticks,
        lambda v: f"{v:,.0f}" if step >= 1 else f"{v:,.2f}",
        "Currency",
        area=True,
    )


# ---- page sections -------------------------------------------------------------------


def _headline_cards(data: ReportData) -> str:
    dates = sorted({_day(r["as_of_date"]) for r in data.summary})
    previous = max((d for d in dates if d < data.as_of), default=None)
    rows = {(_text(r.get("leg")), _day(r["as_of_date"])): r for r in data.summary}
    legs = sorted({leg for leg, day in rows if day == data.as_of})
    breaks: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in data.aging:
        if _day(row["as_of_date"]) == data.as_of and row.get("state") in BREAK_STATES:
            breaks[_text(row.get("leg"))][_text(row.get("currency"))] += (
                _dec(row.get("absolute_amount")) or ZERO
            )
    cards = []
    for leg in legs:
        row = rows[(leg, data.as_of)]
        rate = _float(row.get("match_rate"))
        change = ""
        before = rows.get((leg, previous)) if previous else None
        old_rate = _float(before.get("match_rate")) if before else None
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
            ("Items", fmt_int(_int(row.get("items")))),
            ("Matched", fmt_int(_int(row.get("matched_items")))),
            ("Pending", fmt_int(_int(row.get("pending_items")))),
            ("Partial", fmt_int(_int(row.get("partial_items")))),
            ("Exceptions", fmt_int(_int(row.get("exception_items")))),
            ("Written off", fmt_int(_int(row.get("written_off_items")))),
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


def top_breaks(
    exceptions: Sequence[Mapping[str, Any]], limit: int = TOP_BREAKS
) -> list[Mapping[str, Any]]:
    """The ``limit`` open breaks with the largest absolute amount (ties: leg, item)."""

    def key(row: Mapping[str, Any]) -> tuple[Decimal, str, str]:
        amount = _dec(row.get("amount"))
        return (
            -(abs(amount) if amount is not None else ZERO),
            _text(row.get("leg")),
            _text(row.get("item_ref"), _text(row.get("item_id"))),
        )

    return sorted(exceptions, key=key)[:limit]


def _breaks_table(exceptions: Sequence[Mapping[str, Any]]) -> str:
    rows = top_breaks(exceptions)
    if not rows:
        return '<p class="empty" id="top-breaks">No open breaks.</p>'
    head = (
        "<tr><th>#</th><th>Leg</th><th>Partner</th><th>Item</th><th>Reason</th>"
        "<th>State</th><th class='num'>Amount</th><th>Currency</th>"
        "<th class='num'>Age (days)</th><th>Bucket</th></tr>"
    )
    body = []
    for i, row in enumerate(rows, 1):
        cells = [
            f"<td class='num'>{i}</td>",
            f"<td>{esc(_text(row.get('leg')))}</td>",
            f"<td>{esc(_text(row.get('partner')))}</td>",
            f"<td class='ref'>{esc(_text(row.get('item_ref'), _text(row.get('item_id'))))}</td>",
            f"<td>{esc(_text(row.get('reason_code')))}</td>",
            f"<td>{esc(_text(row.get('state')))}</td>",
            f"<td class='num'>{esc(fmt_money(_dec(row.get('amount'))))}</td>",
            f"<td>{esc(_text(row.get('currency')))}</td>",
            f"<td class='num'>{esc(fmt_int(_int(row.get('age_days'))))}</td>",
            f"<td>{esc(_text(row.get('aging_bucket')))}</td>",
        ]
        body.append("<tr class='break'>" + "".join(cells) + "</tr>")
    return (
        f'<table id="top-breaks" class="breaks"><caption>Top {len(rows)} of '
        f"{len(exceptions):,} open breaks by absolute amount</caption>"
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


def render_report(data: ReportData, generated_at: datetime | None = None) -> str:
    """The whole report as one HTML string (no external references)."""
    generated_at = generated_at or datetime.now(UTC)
    stamp = generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    run_days = {_day(r["as_of_date"]) for r in data.summary}
    sources = ", ".join(f"{name} v{version}" for name, version in data.versions.items())
    title = f"Reconciliation report as of {data.as_of.isoformat()}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">
<meta name="generator" content="lakehouse report">
<title>{esc(title)}</title>
<style>{CSS}</style>
<script>{ERROR_HOOK}</script>
</head>
<body>
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
{_breaks_table(data.exceptions)}
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
    data = load_report_data(as_of, root)
    page = render_report(data)
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
