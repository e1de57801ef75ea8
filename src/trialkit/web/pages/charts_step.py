"""A server-side step chart of running totals against targets, as inline SVG.

A count of people enrolled changes only on the days someone joins, so it is drawn as steps
(flat between days), not as a line that would suggest half a participant on the days between.
Targets are dashed horizontal lines. As with the other charts: no script, a <title> and a
<desc> with the numbers, and the page shows the same numbers in a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from trialkit.web.pages.charts_bar import PALETTE, nice_scale, text_width

WIDTH, HEIGHT = 560, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 30, 30
DATE_LABELS = 3  # dates along the bottom besides the first and the last (more would touch)


@dataclass(frozen=True)
class RunningTotal:
    """A running total: ``points`` are (day, total on that day), one per day it changed."""

    label: str
    points: tuple[tuple[dt.date, int], ...]
    colour: str = ""


@dataclass(frozen=True)
class Target:
    label: str
    value: int


@dataclass(frozen=True)
class _Frame:
    """Where a day and a value fall in the picture."""

    start: dt.date
    end: dt.date
    scale_max: int

    def x(self, day: dt.date) -> float:
        span = max((self.end - self.start).days, 1)
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - self.start).days / span

    def y(self, value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / self.scale_max)


def step_chart(totals: Sequence[RunningTotal], targets: Sequence[Target], *, title: str,
               ident: str, start: dt.date, end: dt.date) -> SafeString:
    """Each running total from ``start`` (zero) to ``end`` (its last value), below or above
    the targets; ``ident`` makes the element ids unique on the page."""
    if end < start:
        raise ValueError("the chart ends before it starts")
    colours = [t.colour or PALETTE[i % len(PALETTE)] for i, t in enumerate(totals)]
    largest = max([v for t in totals for _, v in t.points] + [t.value for t in targets] + [0])
    scale_max, step = nice_scale(largest)
    frame = _Frame(start, end, scale_max)
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{ident}-t">{escape(title)}</title>'
             f'<desc id="{ident}-d">{escape(describe(totals, targets, end))}</desc>',
             *_grid(frame, step), *_targets(frame, targets)]
    for index, (total, colour) in enumerate(zip(totals, colours, strict=True)):
        # Each later total thinner, so it stays visible where it runs along an earlier one
        # (everybody enrolled so far randomized).
        parts.append(_steps(frame, total, colour, 4.5 if index == 0 else 2.0))
    parts += [*_legend(totals, colours), *_dates(frame), "</svg>"]
    return mark_safe("".join(parts))


def describe(totals: Sequence[RunningTotal], targets: Sequence[Target], end: dt.date) -> str:
    said = [_("%(label)s: %(total)s by %(end)s") % {
                "label": t.label, "total": t.points[-1][1] if t.points else 0,
                "end": end.isoformat()}
            + (_(", first on %(day)s") % {"day": t.points[0][0].isoformat()} if t.points else "")
            for t in totals]
    said += [f"{t.label}: {t.value}" for t in targets]
    return "; ".join(said)


def _grid(frame: _Frame, step: int) -> list[str]:
    return [f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{frame.y(value):.1f}" '
            f'y2="{frame.y(value):.1f}" stroke="#c9d0d9" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{frame.y(value) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#4a5360">{value}</text>'
            for value in range(0, frame.scale_max + 1, step)]


def _targets(frame: _Frame, targets: Sequence[Target]) -> list[str]:
    lines = []
    for index, target in enumerate(targets):
        # Labels alternate right and left, so two targets close together stay readable.
        at, anchor = (WIDTH - RIGHT, "end") if index % 2 == 0 else (LEFT + 4, "start")
        said, y = f"{escape(target.label)}: {target.value}", frame.y(target.value)
        lines.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#1b1f24" stroke-width="1.5" stroke-dasharray="6 4">'
                     f'<title>{said}</title></line><text x="{at}" y="{y - 5:.1f}" '
                     f'font-size="11" text-anchor="{anchor}" fill="#1b1f24">{said}</text>')
    return lines


def _steps(frame: _Frame, total: RunningTotal, colour: str, width: float) -> str:
    """Flat at each value until the next day it changed, then straight up."""
    path = [f"M{frame.x(frame.start):.1f},{frame.y(0):.1f}"]
    for day, value in sorted(total.points):
        path.append(f"H{frame.x(min(max(day, frame.start), frame.end)):.1f}"
                    f"V{frame.y(value):.1f}")
    path.append(f"H{frame.x(frame.end):.1f}")
    marks = "".join(f'<circle cx="{frame.x(day):.1f}" cy="{frame.y(value):.1f}" r="2.5" '
                    f'fill="{colour}"><title>{escape(_on_day(total.label, value, day))}'
                    '</title></circle>'
                    for day, value in total.points if frame.start <= day <= frame.end)
    return (f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="{width}">'
            f'<title>{escape(total.label)}</title></path>{marks}')


def _on_day(label: str, value: int, day: dt.date) -> str:
    return _("%(label)s: %(value)s on %(day)s") % {"label": label, "value": value,
                                                   "day": day.isoformat()}


def _legend(totals: Sequence[RunningTotal], colours: list[str]) -> list[str]:
    items, at = [], float(LEFT)
    for total, colour in zip(totals, colours, strict=True):
        items.append(f'<line x1="{at:.1f}" x2="{at + 18:.1f}" y1="12" y2="12" stroke="{colour}" '
                     f'stroke-width="3"/><text x="{at + 23:.1f}" y="16" font-size="11" '
                     f'fill="#1b1f24">{escape(total.label)}</text>')
        at += 40 + text_width(total.label)
    return items


def _dates(frame: _Frame) -> list[str]:
    """ISO dates along the bottom: the first, the last and a few evenly between."""
    span = (frame.end - frame.start).days
    days = sorted({frame.start + dt.timedelta(days=round(span * i / (DATE_LABELS + 1)))
                   for i in range(DATE_LABELS + 2)})
    anchors = {frame.start: "start", frame.end: "end"}
    return [f'<text x="{frame.x(day):.1f}" y="{HEIGHT - 10}" font-size="11" '
            f'text-anchor="{anchors.get(day, "middle")}" fill="#4a5360">{day.isoformat()}</text>'
            for day in days]
