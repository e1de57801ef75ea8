"""A small server-side line chart as inline SVG (no script, readable by screen readers).

The SVG carries a <title> and <desc>; pages also show the same points as a table, so the chart
is never the only way to read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 36


def line_chart(points: Sequence[tuple[dt.date, float]], *, title: str, y_min: float,
               y_max: float, y_step: float = 1.0) -> SafeString:
    """Points joined in date order on a fixed vertical scale ``y_min``–``y_max``."""
    if y_max <= y_min:
        raise ValueError("y_max must exceed y_min")
    ordered = sorted(points)
    desc = "; ".join(f"{d.isoformat()}: {v:g}" for d, v in ordered) or _("no values yet")
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-t chart-d"'
             ' xmlns="http://www.w3.org/2000/svg">',
             f'<title id="chart-t">{escape(title)}</title><desc id="chart-d">{escape(desc)}</desc>',
             *_grid(y_min, y_max, y_step)]
    if ordered:
        xs = _x_positions([d for d, _v in ordered])
        ys = [_y(v, y_min, y_max) for _d, v in ordered]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0b4f8a" stroke-width="2.5"/>')
        for (day, value), x, y in zip(ordered, xs, ys, strict=True):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#0b4f8a">'
                         f'<title>{day.isoformat()}: {value:g}</title></circle>')
        parts.extend(_date_labels(ordered, xs))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _x_positions(days: list[dt.date]) -> list[float]:
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    usable = WIDTH - LEFT - RIGHT
    if first == last:
        return [LEFT + usable / 2 for _ in days]
    return [LEFT + usable * (d - first).days / span for d in days]


def _y(value: float, y_min: float, y_max: float) -> float:
    usable = HEIGHT - TOP - BOTTOM
    clamped = min(max(value, y_min), y_max)
    return TOP + usable * (1 - (clamped - y_min) / (y_max - y_min))


def _grid(y_min: float, y_max: float, y_step: float) -> list[str]:
    lines = []
    value = y_min
    while value <= y_max + 1e-9:
        y = _y(value, y_min, y_max)
        lines.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#c9d0d9" stroke-width="1"/>'
                     f'<text x="{LEFT - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
                     f'fill="#4a5360">{value:g}</text>')
        value += y_step
    return lines


def _date_labels(ordered: Sequence[tuple[dt.date, float]], xs: list[float]) -> list[str]:
    labels, last_x = [], -1000.0
    for (day, _value), x in zip(ordered, xs, strict=True):
        if x - last_x < 70:  # keep labels from overlapping
            continue
        labels.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" font-size="11" text-anchor="middle" '
                      f'fill="#4a5360">{day:%Y-%m-%d}</text>')
        last_x = x
    return labels
