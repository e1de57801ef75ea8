"""A server-side horizontal bar chart as inline SVG, stacked when it has several series.

Horizontal, because the categories are words of varying length (visit names, funnel steps,
grades) that a vertical chart would have to slant. Like ``charts.line_chart`` it needs no
script, carries a <title> and a <desc> that says every number, and each bar segment has its
own <title>; pages show the same numbers in a table beside it, so the chart is never the only
way to read them. Colours come with a legend and are never the only difference: the table
names every series.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 560
LABEL_WIDTH = 180  # room for a category's words left of its bar
RIGHT = 44  # room for the total after the longest bar
ROW, BAR = 28, 18
LEGEND_LINE, AXIS = 18, 26
LABEL_CHARACTERS = 26  # longer labels wrap onto more lines
LINE = 14  # the height of a label's line
# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies).
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#999999")


@dataclass(frozen=True)
class Series:
    """One kind of count across the categories (one colour of the stack)."""

    label: str
    values: tuple[int, ...]
    colour: str = ""
    """Empty: the next colour of ``PALETTE``."""


def bar_chart(categories: Sequence[str], series: Sequence[Series], *, title: str,
              ident: str) -> SafeString:
    """One bar per category, its series stacked left to right in the order given.

    ``ident`` makes the SVG's element ids unique on a page that shows several charts."""
    if not series:
        raise ValueError("a bar chart needs at least one series")
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError("each series has one value per category")
    if any(v < 0 for s in series for v in s.values):
        raise ValueError("bar charts count: values are not negative")
    colours = [s.colour or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    legend, legend_lines = _legend(series, colours) if len(series) > 1 else ([], 0)
    top = 8 + LEGEND_LINE * legend_lines
    lines = [_wrapped(c) for c in categories]
    rows = [max(ROW, LINE * len(words) + 10) for words in lines]
    height = top + (sum(rows) or ROW) + AXIS
    scale_max, step = nice_scale(max(totals, default=0))
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{ident}-t">{escape(title)}</title>'
             f'<desc id="{ident}-d">{escape(describe(categories, series))}</desc>',
             *_grid(scale_max, step, top, height - AXIS), *legend]
    row_top = float(top)
    for row, category in enumerate(categories):
        y = row_top + (rows[row] - BAR) / 2
        parts.append(_label(lines[row], y + BAR / 2))
        parts.extend(_segments(category, row, series, colours, y, scale_max))
        end = _x(totals[row], scale_max)
        parts.append(f'<text x="{end + 6:.1f}" y="{y + BAR / 2 + 4:.1f}" font-size="12" '
                     f'fill="#1b1f24">{totals[row]}</text>')
        row_top += rows[row]
    parts.append("</svg>")
    return mark_safe("".join(parts))


def describe(categories: Sequence[str], series: Sequence[Series]) -> str:
    """Every number in words, for the <desc> a screen reader reads out."""
    if not categories:
        return _("nothing to show yet")
    if len(series) == 1:
        return "; ".join(f"{c}: {v}" for c, v in zip(categories, series[0].values, strict=True))
    return "; ".join(
        f"{c}: " + ", ".join(f"{s.label} {s.values[i]}" for s in series)
        + _(" (total %(total)s)") % {"total": sum(s.values[i] for s in series)}
        for i, c in enumerate(categories))


def text_width(text: str, size: float = 11) -> float:
    """About how wide ``text`` is at ``size`` px: a wide (Chinese) character takes the full
    size, another about 6.2 px at 11 px."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 6.2 * size / 11
               for c in text)


def nice_scale(largest: int) -> tuple[int, int]:
    """(axis maximum, gridline step): a step of 1, 2 or 5 times a power of ten giving at most
    five steps, so gridlines fall on round numbers."""
    if largest <= 0:
        return 1, 1
    for magnitude in (10 ** k for k in range(int(math.log10(largest)) + 2)):
        for unit in (1, 2, 5):
            step = unit * magnitude
            if largest <= 5 * step:
                return step * math.ceil(largest / step), step
    raise AssertionError("unreachable: the last power of ten exceeds the largest value")


def _x(value: float, scale_max: int) -> float:
    return LABEL_WIDTH + (WIDTH - LABEL_WIDTH - RIGHT) * value / scale_max


def _grid(scale_max: int, step: int, top: int, bottom: int) -> list[str]:
    lines = []
    for value in range(0, scale_max + 1, step):
        x = _x(value, scale_max)
        lines.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" '
                     'stroke="#c9d0d9" stroke-width="1"/>'
                     f'<text x="{x:.1f}" y="{bottom + 16}" font-size="11" text-anchor="middle" '
                     f'fill="#4a5360">{value}</text>')
    return lines


def _legend(series: Sequence[Series], colours: list[str]) -> tuple[list[str], int]:
    """A swatch and the label of each series, left to right, onto a new line where the next
    would not fit; with the number of lines used."""
    items, x, line = [], 8.0, 0
    for s, colour in zip(series, colours, strict=True):
        width = 28 + text_width(s.label)  # about the width of 11px text
        if x > 8 and x + width > WIDTH - 8:
            x, line = 8.0, line + 1
        y = 6 + line * LEGEND_LINE
        items.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16:.1f}" y="{y + 10}" font-size="11" fill="#1b1f24">'
                     f'{escape(s.label)}</text>')
        x += width
    return items, line + 1


def _wrapped(category: str) -> list[str]:
    """The label's lines, broken at spaces only and never shortened: read with the tags
    removed, the lines give back the label word for word (a shortened visit name would leave a
    word of it alone, and the blinding crawl rightly asks why it is there)."""
    return textwrap.wrap(category, LABEL_CHARACTERS, break_long_words=False,
                         break_on_hyphens=False) or [""]


def _label(lines: list[str], middle: float) -> str:
    """Right-aligned left of the bar, its lines centred on the bar's middle."""
    first = middle + 4 - LINE * (len(lines) - 1) / 2
    spans = "".join(f'<tspan x="{LABEL_WIDTH - 8}" y="{first + i * LINE:.1f}">{escape(line)}'
                    "</tspan>" for i, line in enumerate(lines))
    return f'<text font-size="12" text-anchor="end" fill="#1b1f24">{spans}</text>'


def _segments(category: str, row: int, series: Sequence[Series], colours: list[str],
              y: float, scale_max: int) -> list[str]:
    rects, start = [], 0
    for s, colour in zip(series, colours, strict=True):
        value = s.values[row]
        if value:
            x0, x1 = _x(start, scale_max), _x(start + value, scale_max)
            named = f"{category}: {s.label} {value}" if len(series) > 1 else \
                f"{category}: {value}"
            rects.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{x1 - x0:.1f}" '
                         f'height="{BAR}" fill="{colour}"><title>{escape(named)}</title></rect>')
        start += value
    return rects
