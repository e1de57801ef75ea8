"""Absolute plausibility of the dates entered on a case report form.

A form's date and date-time items take a date in the ``ANY`` window (``dates.window``); an item
that feeds the patient record's birth date takes a ``PAST`` one (nobody is born tomorrow).
Values that do not parse are left to the form's own validation, which says what is wrong with
them; so are the soft checks (a date after the day of entry opens a query, it is not refused).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from trialkit.core.forms.values import ItemValueError, is_blank, parse_value
from trialkit.core.hygiene.dates import DateKind, check_date
from trialkit.core.hygiene.text import InputRefusedError
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.wording import Wording

BIRTH_DATE = "patient.birth_date"
"""The patient-record field of a birth date (``maps_to`` of an item)."""


def date_kind(item: Item) -> DateKind:
    if item.maps_to is not None and item.maps_to.to == BIRTH_DATE:
        return DateKind.PAST
    return DateKind.ANY


def form_date_problems(form: Form, data: Mapping[str, object],
                       today: dt.date) -> dict[str, Wording]:
    """Item id → why its date is implausible, for the date items of ``data``."""
    problems: dict[str, Wording] = {}
    for item in form.items:
        value = data.get(item.id)
        if item.type not in ("date", "datetime") or item.derived is not None or is_blank(value):
            continue
        try:
            text = parse_value(item, value, None)
        except ItemValueError:
            continue
        try:
            check_date(dt.date.fromisoformat(str(text)[:10]), date_kind(item), today)
        except InputRefusedError as exc:
            problems[item.id] = exc.wording
    return problems
