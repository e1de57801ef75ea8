"""Calendar arithmetic for windows and ages, with month ends handled like relativedelta."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from trialkit.core.eligibility.nodes import Anchor, Window


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by calendar months; the day is clipped (Mar 31 − 1 month = Feb 28/29)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def completed_years(birth: dt.date, on: dt.date) -> int:
    """Whole years from ``birth`` to ``on``: the largest n with birth + n years ≤ on.

    Consistent with ``add_months``: someone born on Feb 29 completes a year on Feb 28 of a
    common year, as ``birth + relativedelta(years=n)`` does.
    """
    years = on.year - birth.year
    if add_months(birth, 12 * years) > on:
        years -= 1
    return years


@dataclass(frozen=True, slots=True)
class Dates:
    """The dates one screening is evaluated against."""

    index: dt.date
    consent: dt.date
    birth: dt.date | None
    obs_start: dt.date | None
    """First day of recorded history; None = complete from the beginning (desk screening)."""
    obs_end: dt.date

    def anchor(self, anchor: Anchor) -> dt.date:
        return self.index if anchor == "index" else self.consent

    def bounds(self, window: Window | None, anchor: Anchor = "index") -> tuple[dt.date | None,
                                                                             dt.date]:
        """(exclusive start, inclusive end) of a window; start None = all history."""
        if window is None:
            return None, self.anchor(anchor)
        end = self.anchor(window.anchor)
        return add_months(end, -window.months) - dt.timedelta(days=window.days), end

    def covers(self, window: Window | None, anchor: Anchor = "index") -> bool:
        """Whether the observation period covers the window (capped at the birth date)."""
        start, end = self.bounds(window, anchor)
        if end > self.obs_end:
            return False
        if self.obs_start is None:
            return True
        first = start + dt.timedelta(days=1) if start is not None else None
        if self.birth is not None and (first is None or first < self.birth):
            first = self.birth
        return first is not None and first >= self.obs_start
