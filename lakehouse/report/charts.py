"""The report's three charts, drawn as inline SVG."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lakehouse.constants import BREAK_STATES
from lakehouse.report.data import NO_PARTNER, ZERO, as_day, as_dec, as_float, as_int, as_text
from lakehouse.report.fmt import bucket_key, esc, fmt_money, fmt_num, fmt_rate
from lakehouse.report.svg import (
    CATEGORICAL,
    SEQUENTIAL,
    UNKNOWN_BUCKET_COLOUR,
    Frame,
    legend_block,
    nice_ticks,
    no_data_text,
    shorten_label,
    svg_open,
    x_axis_line,
    y_axis_block,
)

# ---- charts --------------------------------------------------------------------------


def aging_chart(aging: Sequence[Mapping[str, Any]], as_of: date) -> str:
    """Stacked bars: open items per partner (x), one segment per aging bucket."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in aging:
        if as_day(row["as_of_date"]) != as_of:
            continue
        partner = as_text(row.get("partner"))
        partner = NO_PARTNER if partner == "-" else partner  # gold.aging's placeholder
        bucket = as_text(row.get("aging_bucket"))
        counts[partner][bucket] += as_int(row.get("item_count")) or 0
    partners = sorted(counts, key=lambda p: (-sum(counts[p].values()), p))
    buckets = sorted({b for per in counts.values() for b in per}, key=bucket_key)
    known = [b for b in buckets if bucket_key(b)[0] != 1_000_000]
    colours: dict[str, str] = {}
    for i, bucket in enumerate(known):
        index = 0 if len(known) == 1 else round(i * (len(SEQUENTIAL) - 1) / (len(known) - 1))
        colours[bucket] = SEQUENTIAL[index]
    for bucket in buckets:
        colours.setdefault(bucket, UNKNOWN_BUCKET_COLOUR)

    frame = Frame(bottom=90 if len(partners) > 6 else 64)
    title = f"Open items by aging bucket and partner, as of {as_of.isoformat()}"
    total = sum(sum(per.values()) for per in counts.values())
    desc = (
        f"Stacked bars: {total:,} open items (pending, partial, exception) over "
        f"{len(partners)} partners, split by age bucket in days."
    )
    parts = svg_open("chart-aging", frame, title, desc, empty=not partners)
    highest = max((sum(per.values()) for per in counts.values()), default=0)
    ticks = nice_ticks(0.0, float(max(highest, 1)), integer=True)
    parts += y_axis_block(frame, ticks, "Open items", lambda v: f"{v:,.0f}")
    parts.append(x_axis_line(frame, "Partner"))
    if not partners:
        parts.append(no_data_text(frame, "No open items on this date"))
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
                f'<rect class="mark bar" x="{fmt_num(x)}" y="{fmt_num(y)}" '
                f'width="{fmt_num(bar)}" height="{fmt_num(h)}" fill="{colours[bucket]}">'
                f"<title>{esc(partner)}, {esc(bucket)} days: {n:,} open items</title></rect>"
            )
        centre = x + bar / 2
        partner_total = sum(counts[partner].values())
        parts.append(
            f'<text class="bar-total" x="{fmt_num(centre)}" y="{fmt_num(y - 4)}" '
            f'text-anchor="middle">{partner_total:,}</text>'
        )
        if len(partners) > 6:
            parts.append(
                f'<text class="tick" transform="translate({fmt_num(centre)},'
                f'{fmt_num(frame.y1 + 12)}) rotate(-35)" text-anchor="end">'
                f"{esc(shorten_label(partner, 14))}<title>{esc(partner)}</title></text>"
            )
        else:
            parts.append(
                f'<text class="tick" x="{fmt_num(centre)}" '
                f'y="{fmt_num(frame.y1 + 16)}" text-anchor="middle">'
                f"{esc(shorten_label(partner, 16))}<title>{esc(partner)}</title></text>"
            )
    parts.append("</g>")
    parts += legend_block(frame, "Age (days)", [(b, colours[b]) for b in reversed(buckets)], "rect")
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
    frame = Frame()
    names = sorted(series)
    days = sorted({p.day for points in series.values() for p in points})
    parts = svg_open(chart_id, frame, title, desc, empty=not days)
    parts += y_axis_block(frame, ticks, y_label, y_fmt)
    parts.append(x_axis_line(frame, "As-of date"))
    if not days:
        parts.append(no_data_text(frame, "No data"))
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
            f'<line class="tick-mark" x1="{fmt_num(x)}" x2="{fmt_num(x)}" '
            f'y1="{fmt_num(frame.y1)}" y2="{fmt_num(frame.y1 + 4)}"/>'
        )
        if i % every == 0:
            parts.append(
                f'<text class="tick" x="{fmt_num(x)}" y="{fmt_num(frame.y1 + 18)}" '
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
        coords = " ".join(f"{fmt_num(x_of(p.day))},{fmt_num(y_of(p.value))}" for p in points)
        if area and len(points) > 1:
            base = fmt_num(y_of(lo))
            path = (
                f"M{fmt_num(x_of(points[0].day))},{base} L"
                + " L".join(f"{fmt_num(x_of(p.day))},{fmt_num(y_of(p.value))}" for p in points)
                + f" L{fmt_num(x_of(points[-1].day))},{base} Z"
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
                f'<circle class="mark dot" cx="{fmt_num(x_of(p.day))}" '
                f'cy="{fmt_num(y_of(p.value))}" r="3.5" fill="{colour}">'
                f"<title>{esc(name)}, {esc(p.day.isoformat())}: {esc(p.label)}</title></circle>"
            )
    parts.append("</g>")
    parts += legend_block(frame, legend_title, [(n, colours[n]) for n in names], "line")
    parts.append("</svg>")
    return "\n".join(parts)


def match_rate_chart(summary: Sequence[Mapping[str, Any]], as_of: date) -> str:
    """Match rate per leg over the as-of dates up to ``as_of``."""
    series: dict[str, list[_Point]] = defaultdict(list)
    for row in summary:
        rate = as_float(row.get("match_rate"))
        if rate is not None:
            series[as_text(row.get("leg"))].append(
                _Point(as_day(row["as_of_date"]), rate, fmt_rate(rate))
            )
    rates = [p.value for points in series.values() for p in points]
    low = max(0.0, min(rates, default=0.0) - 0.05)
    ticks = [t for t in nice_ticks(low, 1.0) if t <= 1.0 + 1e-9]
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
        per_day = totals[as_text(row.get("currency"))]
        day = as_day(row["as_of_date"])
        per_day[day] = per_day.get(day, ZERO) + (as_dec(row.get("absolute_amount")) or ZERO)
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
    ticks = nice_ticks(0.0, max(highest, 1.0))
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
