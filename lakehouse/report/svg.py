"""SVG building blocks of the charts: palettes, ticks, frames, axes and legends."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lakehouse.report.fmt import esc, fmt_num

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

# ---- SVG helpers ---------------------------------------------------------------------


def nice_ticks(lo: float, hi: float, target: int = 5, integer: bool = False) -> list[float]:
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
class Frame:
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


def svg_open(chart_id: str, frame: Frame, title: str, desc: str, empty: bool) -> list[str]:
    empty_attr = ' data-empty="true"' if empty else ""
    return [
        f'<svg id="{esc(chart_id)}" class="chart" viewBox="0 0 {frame.width} {frame.height}" '
        f'role="img" aria-labelledby="{esc(chart_id)}-title {esc(chart_id)}-desc"{empty_attr}>',
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>',
        f'<desc id="{esc(chart_id)}-desc">{esc(desc)}</desc>',
    ]


def y_axis_block(
    frame: Frame, ticks: Sequence[float], label: str, fmt: Callable[[float], str]
) -> list[str]:
    lo, hi = ticks[0], ticks[-1]
    parts = ['<g class="axis y-axis">']
    for tick in ticks:
        y = frame.y1 - (tick - lo) / (hi - lo) * (frame.y1 - frame.y0)
        parts.append(
            f'<line class="grid" x1="{fmt_num(frame.x0)}" x2="{fmt_num(frame.x1)}" '
            f'y1="{fmt_num(y)}" y2="{fmt_num(y)}"/>'
            f'<text class="tick" x="{fmt_num(frame.x0 - 6)}" y="{fmt_num(y + 4)}" '
            f'text-anchor="end">{esc(fmt(tick))}</text>'
        )
    mid = (frame.y0 + frame.y1) / 2
    parts.append(
        f'<line class="axis-line" x1="{fmt_num(frame.x0)}" x2="{fmt_num(frame.x0)}" '
        f'y1="{fmt_num(frame.y0)}" y2="{fmt_num(frame.y1)}"/>'
        f'<text class="axis-label" transform="rotate(-90)" x="{fmt_num(-mid)}" y="16" '
        f'text-anchor="middle">{esc(label)}</text></g>'
    )
    return parts


def x_axis_line(frame: Frame, label: str) -> str:
    return (
        f'<line class="axis-line" x1="{fmt_num(frame.x0)}" x2="{fmt_num(frame.x1)}" '
        f'y1="{fmt_num(frame.y1)}" y2="{fmt_num(frame.y1)}"/>'
        f'<text class="axis-label" x="{fmt_num((frame.x0 + frame.x1) / 2)}" '
        f'y="{frame.height - 8}" text-anchor="middle">{esc(label)}</text>'
    )


def legend_block(
    frame: Frame, title: str, entries: Sequence[tuple[str, str]], kind: str
) -> list[str]:
    x = frame.x1 + 20
    parts = [
        f'<g class="legend"><text class="legend-title" x="{fmt_num(x)}" '
        f'y="{frame.y0 + 10}">{esc(title)}</text>'
    ]
    for i, (label, colour) in enumerate(entries):
        y = frame.y0 + 30 + i * 20
        if kind == "line":
            swatch = (
                f'<line x1="{fmt_num(x)}" x2="{fmt_num(x + 16)}" y1="{y - 4}" '
                f'y2="{y - 4}" stroke="{esc(colour)}" stroke-width="3"/>'
            )
        else:
            swatch = (
                f'<rect x="{fmt_num(x)}" y="{y - 10}" width="14" height="12" fill="{esc(colour)}"/>'
            )
        parts.append(
            f'<g class="legend-item">{swatch}<text x="{fmt_num(x + 22)}" y="{y}">'
            f"{esc(shorten_label(label, 18))}<title>{esc(label)}</title></text></g>"
        )
    parts.append("</g>")
    return parts


def no_data_text(frame: Frame, message: str) -> str:
    return (
        f'<text class="no-data" x="{fmt_num((frame.x0 + frame.x1) / 2)}" '
        f'y="{fmt_num((frame.y0 + frame.y1) / 2)}" text-anchor="middle">'
        f"{esc(message)}</text>"
    )


def shorten_label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
