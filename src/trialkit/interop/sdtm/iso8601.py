"""ISO 8601 as SDTM uses it (SDTMIG 3.4 §4.4): dates and date/times complete or truncated on
the right, an unknown component written as '-' ("2003---15"), intervals "start/end", durations
("P3D"). A complete calendar date must also exist (no 2023-02-30)."""

from __future__ import annotations

import datetime as dt
import re

_PART = r"(?:\d{2}|-)"
_DATE = rf"(?P<year>\d{{4}}|-)(?:-(?P<month>{_PART})(?:-(?P<day>{_PART}))?)?"
_TIME = rf"T{_PART}(?::{_PART}(?::(?:\d{{2}}(?:\.\d+)?|-))?)?(?:Z|[+-]\d{{2}}(?::?\d{{2}})?)?"
_DATETIME = re.compile(rf"{_DATE}(?:{_TIME})?")
_DURATION = re.compile(r"-?P(?:\d+(?:[.,]\d+)?[YMWD])*(?:T(?:\d+(?:[.,]\d+)?[HMS])+)?")


def _point(text: str) -> bool:
    match = _DATETIME.fullmatch(text)
    if match is None:
        return bool(_DURATION.fullmatch(text)) and text not in ("P", "-P")
    year, month, day = match.group("year", "month", "day")
    if month not in (None, "-") and not 1 <= int(month) <= 12:
        return False
    if year != "-" and month not in (None, "-") and day not in (None, "-"):
        try:
            dt.date(int(year), int(month), int(day))
        except ValueError:
            return False
    return "T" not in text or _time_ok(text.split("T", 1)[1])


def _time_ok(time: str) -> bool:
    parts = re.split(r"[Z+]|(?<=\d)-", time)[0].split(":")
    limits = (23, 59, 59)
    return all(p == "-" or float(p) <= limit for p, limit in zip(parts, limits, strict=False))


def is_iso8601(text: str) -> bool:
    """True for an SDTM ISO 8601 value; the empty string is a null, not checked here."""
    pieces = text.split("/")
    return 1 <= len(pieces) <= 2 and all(_point(p) for p in pieces)


def full_date(text: str) -> dt.date | None:
    """The calendar date at the start of ``text`` when complete to the day, else None."""
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None
