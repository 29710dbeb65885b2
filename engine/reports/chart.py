"""Server-rendered SVG bar charts for the reports page: a trend over months, no JavaScript.

The chart is a picture of a table that the page also shows: the SVG is named by its title and
points at that table with `aria-describedby`, so a screen reader user reads the table instead.
Each bar carries its figure (`data-value`) and a `<title>` (a tooltip) with the month and value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

# GOV.UK colours with at least 3:1 contrast against white (WCAG 1.4.11, non-text contrast).
COLOURS = ("#1d70b8", "#00703c", "#912b88", "#d4351c")
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 64


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]


def _step(largest: int) -> int:
    """A round tick step giving at most 5 ticks up to `largest` (1, 2, 5, 10, 20, 50...)."""
    if largest <= 5:
        return 1
    rough = largest / 5
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _month_label(month: str) -> str:
    """'2027-03' -> 'Mar 27'."""
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    year, number = month.split("-")
    return f"{names[int(number) - 1]} {year[2:]}"


def bar_chart(chart_id: str, title: str, months: list[str], series: list[Series], described_by: str) -> Markup:
    """Grouped bars, one group per month, one bar per series; a legend under the axis."""
    largest = max([v for s in series for v in s.values] + [0])
    step = _step(largest)
    top_value = max(step, math.ceil(largest / step) * step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(1, len(months))
    bar_w = max(1.0, group_w * 0.8 / max(1, len(series)))
    every = max(1, math.ceil(len(months) / 12))  # at most 12 month labels

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top_value

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="100%" style="max-width: {WIDTH}px; height: auto" '
             f'role="img" aria-labelledby="{chart_id}-title" aria-describedby="{escape(described_by)}" '
             f'id="{chart_id}" focusable="false">',
             f'<title id="{chart_id}-title">{escape(title)}</title>']
    for tick in range(0, top_value + 1, step):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="13" '
                     f'fill="#0b0c0c">{tick}</text>')
    for m, month in enumerate(months):
        x0 = LEFT + m * group_w + group_w * 0.1
        for s, one in enumerate(series):
            value = one.values[m]
            top = y(value)
            parts.append(f'<rect class="app-chart__bar" x="{x0 + s * bar_w:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
                         f'height="{TOP + plot_h - top:.1f}" fill="{COLOURS[s % len(COLOURS)]}" '
                         f'data-series="{escape(one.label)}" data-month="{escape(month)}" data-value="{value}">'
                         f'<title>{escape(one.label)}, {escape(_month_label(month))}: {value}</title></rect>')
        if m % every == 0:
            parts.append(f'<text x="{LEFT + (m + 0.5) * group_w:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" '
                         f'font-size="13" fill="#0b0c0c">{escape(_month_label(month))}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#0b0c0c"/>')
    x = LEFT
    for s, one in enumerate(series):
        parts.append(f'<rect x="{x}" y="{HEIGHT - 22}" width="14" height="14" fill="{COLOURS[s % len(COLOURS)]}"/>')
        parts.append(f'<text x="{x + 20}" y="{HEIGHT - 10}" font-size="14" fill="#0b0c0c">{escape(one.label)}</text>')
        x += 28 + 8 * len(one.label)
    parts.append("</svg>")
    return Markup("".join(parts))


def months_between(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from `first` to `last`, both included."""
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
