"""Absolute plausibility of dates, and the same window as a JSON Schema pattern.

A date a trial records lies in a window fixed by its kind and today's date, whoever the
participant is: from ``EARLIEST`` to today for what has happened (a birth, a consent, a visit
done), from today to ``YEARS_AHEAD`` years on for what is planned (a Day 0), and the union of
the two for a date that may be either (a form's date item). Whether a date fits the
participant's own timeline (consent before the visit) is not decided here.

The window is also written as a regular expression over ``YYYY-MM-DD``, so the published
schema says exactly which dates are accepted on the day it is generated.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from trialkit.core.hygiene.text import InputRefusedError
from trialkit.core.wording import gettext_noop, worded

EARLIEST = dt.date(1900, 1, 1)
"""No date a trial records is earlier (a birth date included)."""
YEARS_AHEAD = 5
"""How far ahead a planned date may lie."""

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT_TIME = r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?" \
               r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
"""RFC 3339 ``date-time`` after the date, with a time zone; no leap second (Python has none)."""


class DateKind(StrEnum):
    PAST = "past"
    """Has happened: not after today."""
    PLANNED = "planned"
    """Is planned: not before today."""
    ANY = "any"
    """Either."""


_WINDOW = {
    DateKind.PAST: gettext_noop("must be a date from %(first)s to %(last)s (a date that has "
                                "passed), got %(value)s"),
    DateKind.PLANNED: gettext_noop("must be a date from %(first)s to %(last)s (a planned "
                                   "date), got %(value)s"),
    DateKind.ANY: gettext_noop("must be a date from %(first)s to %(last)s, got %(value)s"),
}


def window(kind: DateKind, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last date a value of this kind may take, given today's date."""
    ahead = _years_after(today, YEARS_AHEAD)
    if kind is DateKind.PAST:
        return EARLIEST, today
    if kind is DateKind.PLANNED:
        return today, ahead
    return EARLIEST, ahead


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February to a year that has none
        return day.replace(year=day.year + years, day=28)


def check_date(value: dt.date, kind: DateKind, today: dt.date) -> dt.date:
    first, last = window(kind, today)
    if not first <= value <= last:
        raise InputRefusedError(worded(_WINDOW[kind], first=first, last=last, value=value))
    return value


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` and nothing else (no week dates, no times, no timestamps)."""
    if _DATE.fullmatch(text) is None:
        raise InputRefusedError(gettext_noop("must be a date as YYYY-MM-DD"))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputRefusedError(worded(gettext_noop("is not a calendar date: %(text)s"),
                                       text=text)) from None


def parse_moment(text: str) -> dt.datetime:
    """An RFC 3339 date and time with its time zone (``Z`` or ``+08:00``)."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}" + _MOMENT_TIME, text) is None:
        raise InputRefusedError(gettext_noop("must be a date and time with its time zone, as "
                                             "YYYY-MM-DDTHH:MM:SS+HH:MM or ...Z"))
    try:
        return dt.datetime.fromisoformat(text.upper())
    except ValueError:
        raise InputRefusedError(worded(gettext_noop("is not a calendar date and time: %(text)s"),
                                       text=text)) from None


_LOCAL_MOMENT = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([01][0-9]|2[0-3]):([0-5][0-9])"
                           r"(:[0-5][0-9])?( ?([+-]([01][0-9]|2[0-3]):[0-5][0-9]|Z))?")
"""A date and time as people type it (``2026-12-03 09:30``), its UTC offset optional."""


def parse_local_moment(text: str, zone: dt.tzinfo) -> dt.datetime:
    """A date and time read on the wall clock of ``zone`` (or at the offset it states), as the
    moment in UTC.

    A wall-clock time that ``zone`` skips (clocks go forward) or repeats (clocks go back) names
    no single moment, so it is refused rather than guessed: an hour's error in a post-dose time
    is a wrong sample time. A repeated time is given with its offset instead.
    """
    if _LOCAL_MOMENT.fullmatch(text) is None:
        raise InputRefusedError(gettext_noop(
            "give a date and time as YYYY-MM-DD HH:MM (24-hour clock)"))
    try:
        given = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace(" ", ""))
    except ValueError:
        raise InputRefusedError(worded(gettext_noop("is not a calendar date and time: %(text)s"),
                                       text=text)) from None
    if given.tzinfo is not None:
        return given.astimezone(dt.UTC)
    early, late = given.replace(tzinfo=zone, fold=0), given.replace(tzinfo=zone, fold=1)
    name = getattr(zone, "key", str(zone))
    if early.utcoffset() != late.utcoffset():
        # zoneinfo gives a skipped time the offsets before and after the change; only a
        # repeated time comes back unchanged from UTC.
        if early.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != given:
            raise InputRefusedError(worded(gettext_noop(
                "%(moment)s does not exist in %(zone)s: the clocks went forward that night"),
                moment=f"{given:%Y-%m-%d %H:%M}", zone=name))
        raise InputRefusedError(worded(gettext_noop(
            "%(moment)s happened twice in %(zone)s (the clocks went back): add which, "
            "%(earlier)s or %(later)s"), moment=f"{given:%Y-%m-%d %H:%M}", zone=name,
            earlier=_offset(early), later=_offset(late)))
    return early.astimezone(dt.UTC)


def _offset(moment: dt.datetime) -> str:
    offset = f"{moment:%z}"
    return f"{moment:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def check_moment(value: dt.datetime, kind: DateKind, today: dt.date) -> dt.datetime:
    """The window applies to the date as written (the moment's own calendar day), the same
    date the published pattern sees."""
    check_date(value.date(), kind, today)
    return value


def date_pattern(first: dt.date, last: dt.date) -> str:
    """A regular expression matching ``YYYY-MM-DD`` from ``first`` to ``last`` inclusive
    (months 01-12 and days 01-31; whether the day exists in its month is the ``date``
    format's business)."""
    return f"^(?:{_dates(first, last)})$"


def moment_pattern(first: dt.date, last: dt.date) -> str:
    return f"^(?:{_dates(first, last)}){_MOMENT_TIME}$"


def _dates(first: dt.date, last: dt.date) -> str:
    if first > last:
        raise ValueError(f"empty window {first} .. {last}")
    low, high = (first.year, first.month, first.day), (last.year, last.month, last.day)
    return "|".join(_triples(low, high, widths=(4, 2, 2), bounds=((0, 9999), (1, 12), (1, 31))))


def _triples(low: tuple[int, ...], high: tuple[int, ...], widths: tuple[int, ...],
             bounds: tuple[tuple[int, int], ...]) -> list[str]:
    """Alternatives matching every (year, month, day) from ``low`` to ``high`` in order, as
    zero-padded fields joined by ``-``."""
    least = tuple(b[0] for b in bounds)
    most = tuple(b[1] for b in bounds)
    if low == least and high == most:  # every value of every field
        return ["-".join(f"(?:{_number(a, b, w)})" for (a, b), w in zip(bounds, widths,
                                                                        strict=True))]
    head = f"{{:0{widths[0]}d}}-"
    if len(low) == 1:
        return [_number(low[0], high[0], widths[0])]
    rest = widths[1:], bounds[1:]

    def then(a: tuple[int, ...], b: tuple[int, ...]) -> str:
        return "(?:" + "|".join(_triples(a, b, *rest)) + ")"

    if low[0] == high[0]:
        return [head.format(low[0]) + then(low[1:], high[1:])]
    parts = [head.format(low[0]) + then(low[1:], most[1:])]
    if high[0] - low[0] > 1:
        parts.append(f"(?:{_number(low[0] + 1, high[0] - 1, widths[0])})-"
                     + then(least[1:], most[1:]))
    parts.append(head.format(high[0]) + then(least[1:], high[1:]))
    return parts


def _number(low: int, high: int, width: int) -> str:
    """A regular expression for the zero-padded numbers from ``low`` to ``high``."""
    return _digits(f"{low:0{width}d}", f"{high:0{width}d}")


def _digits(low: str, high: str) -> str:
    if low == high:
        return low
    if set(low) == {"0"} and set(high) == {"9"}:
        return _any_digits(len(low))
    if len(low) == 1:
        return _span(low, high)
    rest = len(low) - 1
    if low[0] == high[0]:
        return f"{low[0]}(?:{_digits(low[1:], high[1:])})"
    parts = [f"{low[0]}(?:{_digits(low[1:], '9' * rest)})"]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(_span(str(int(low[0]) + 1), str(int(high[0]) - 1)) + _any_digits(rest))
    parts.append(f"{high[0]}(?:{_digits('0' * rest, high[1:])})")
    return "|".join(parts)


def _span(low: str, high: str) -> str:
    return low if low == high else f"[{low}-{high}]"


def _any_digits(count: int) -> str:
    return "[0-9]" if count == 1 else f"[0-9]{{{count}}}"
