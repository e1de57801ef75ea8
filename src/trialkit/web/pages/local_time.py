"""Times on the pages: on the wall clock of the zone the page is in, always with its offset.

``session.page`` puts every page in the actor's zone and a participant's pages in the
participant's site's zone (``trialkit.web.trial.site_time``); these helpers only format and
read in whatever zone is active, through Django's current time zone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from trialkit.web.trial import clock
from trialkit.web.trial.models import Participant
from trialkit.web.trial.site_time import zone_of

# Dates and times are typed as text in ISO order: a browser's date control follows its locale
# (mm/dd/yyyy) and moves keyboard entry between its parts. The field tags in
# templatetags/words.py (date_input, moment_input) use them.
DATE_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
MOMENT_PATTERN = DATE_PATTERN + "[ T][0-9]{2}:[0-9]{2}( ?([+-][0-9]{2}:[0-9]{2}|Z))?"


def show_times_of(participant: Participant) -> None:
    """The rest of this request reads and takes times in the participant's site's zone."""
    timezone.activate(zone_of(participant.site))


def offset_label(moment: dt.datetime) -> str:
    """``UTC+8``, ``UTC+5:30``, ``UTC-3`` or ``UTC``: the moment's offset in the active zone."""
    offset = timezone.localtime(moment).utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def wall_clock(moment: dt.datetime) -> str:
    """``2026-12-03 09:30 UTC+8``: the moment on the active zone's clock, with the offset."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M} {offset_label(moment)}"


def entry_value(moment: dt.datetime) -> str:
    """What a date-and-time field shows for a stored moment: the wall clock, no offset."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def zone_caption() -> str:
    """``Asia/Taipei, UTC+8``: the active zone, for a column or field label."""
    zone = timezone.get_current_timezone()
    name = getattr(zone, "key", "UTC")
    label = offset_label(clock.now())
    return "UTC" if name == "UTC" else f"{name}, {label}"
