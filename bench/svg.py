"""A log-log line chart of seconds per layer against volume, as plain inline SVG.

Deterministic: the same curve gives the same bytes (no dates, no random ids), so the
committed chart can be checked against ``curve.json``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 36, 52
COLOURS = {
    "ingest": "#1f77b4",
    "refine": "#ff7f0e",
    "reconcile": "#2ca02c",
    "total": "#444444",
}
LABELS = {"total": "end to end"}


def volume_label(volume: float) -> str:
    """300000 -> 300k, 1000000 -> 1M, 2500000 -> 2.5M."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if volume >= size:
            return f"{volume / size:.3g}{suffix}"
    return f"{volume:g}"


def _ticks(low: float, high: float) -> list[float]:
    """1, 2, 5 times powers of ten inside [low, high] (at least the two ends' decades)."""
    out = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for step in (1, 2, 5):
            value = step * 10.0**exponent
            if low <= value <= high:
                out.append(value)
    return out


def _tick_label(value: float) -> str:
    return f"{value:g}" if value < 1e4 else volume_label(value)


def chart(
    volumes: Sequence[float], series: Mapping[str, Sequence[float | None]], title: str
) -> str:
    """The SVG document: one line per series, log axes, the volumes as x ticks."""
    values = [v for vs in series.values() for v in vs if v is not None and v > 0]
    if len(volumes) < 1 or not values:
        raise ValueError("a chart needs at least one volume with a positive value")
    x_lo, x_hi = math.log10(min(volumes) / 1.5), math.log10(max(volumes) * 1.5)
    y_lo, y_hi = math.log10(min(values) / 1.5), math.log10(max(values) * 1.5)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(v: float) -> float:
        return round(LEFT + (math.log10(v) - x_lo) / (x_hi - x_lo) * plot_w, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - (math.log10(v) - y_lo) / (y_hi - y_lo) * plot_h, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="20" font-size="14">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
    ]
    for tick in _ticks(10**y_lo, 10**y_hi):
        parts.append(
            f'<line x1="{LEFT}" y1="{y(tick)}" x2="{LEFT + plot_w}" y2="{y(tick)}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4}" text-anchor="end">{_tick_label(tick)}</text>'
        )
    for volume in volumes:
        parts.append(
            f'<line x1="{x(volume)}" y1="{TOP}" x2="{x(volume)}" y2="{TOP + plot_h}" '
            'stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{x(volume)}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{volume_label(volume)}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 12}" text-anchor="middle">'
        "ledger events a day (log)</text>"
    )
    parts.append(
        f'<text x="16" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + plot_h / 2})">seconds a day (log)</text>'
    )
    for row, (name, points) in enumerate(series.items()):
        colour = COLOURS.get(name, "#000000")
        xy = [(x(v), y(s)) for v, s in zip(volumes, points, strict=True) if s and s > 0]
        if len(xy) > 1:
            coords = " ".join(f"{a},{b}" for a, b in xy)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        parts.extend(f'<circle cx="{a}" cy="{b}" r="3.5" fill="{colour}"/>' for a, b in xy)
        legend_y = TOP + 14 + row * 20
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 16}" y1="{legend_y - 4}" x2="{WIDTH - RIGHT + 40}" '
            f'y2="{legend_y - 4}" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT + 46}" y="{legend_y}">{escape(LABELS.get(name, name))}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
