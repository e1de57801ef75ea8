"""HTML fields for a protocol form's items, and the submitted values back as item values.

Only presentation: what an item's type means for the input control. Validation is the core's
(``trialkit.core.forms.validate_form``), run by the save action; the input boundary has
refused what is not text (control characters, too long) or a date out of its window first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from trialkit.core.forms import asked_given_entries
from trialkit.core.hygiene import InputRefusedError, parse_local_moment
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form, Item
from trialkit.web.boundary.form_data import date_problems
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.local_time import (
    DATE_PATTERN,
    MOMENT_PATTERN,
    entry_value,
    zone_caption,
)
from trialkit.web.trial.actions.base import InvalidInputError
from trialkit.web.trial.wording import read

INPUT_TYPES = {"text": "text", "integer": "number", "decimal": "number", "date": "date",
               "datetime": "moment"}
PATTERNS = {"date": (DATE_PATTERN, "YYYY-MM-DD"), "moment": (MOMENT_PATTERN, "YYYY-MM-DD HH:MM")}


@dataclass(frozen=True)
class Field:
    item: Item
    name: str
    input_type: str
    """text, number, date, moment (date and time), boolean (radios), choice (select),
    derived."""
    value: str
    options: tuple[tuple[str, str], ...]
    error: str
    step: str
    asked: bool = True
    """False: the item's ``asked_when`` does not hold for the values shown, so the field is
    hidden (the page's script shows it as soon as it holds)."""

    @property
    def hint(self) -> str:
        parts = [self.item.help or ""]
        if self.item.unit:
            parts.append(_("Unit: %(unit)s.") % {"unit": self.item.unit})
        if self.item.range is not None:
            low, high = self.item.range.min, self.item.range.max
            parts.append(_("From %(low)s to %(high)s.") % {"low": f"{low:g}", "high": f"{high:g}"}
                         if low is not None and high is not None else "")
        if self.input_type == "date":
            parts.append(_("As YYYY-MM-DD."))
        if self.input_type == "moment":
            parts.append(_("On the site's clock (%(zone)s), 24-hour, as YYYY-MM-DD HH:MM.")
                         % {"zone": zone_caption()})
        if self.item.asked_when:
            parts.append(_("Asked only when %(condition)s.") % {
                "condition": self.item.asked_when})
        return " ".join(p for p in parts if p)

    @property
    def pattern(self) -> str:
        return PATTERNS[self.input_type][0] if self.input_type in PATTERNS else ""

    @property
    def placeholder(self) -> str:
        return PATTERNS[self.input_type][1] if self.input_type in PATTERNS else ""


def fields(protocol: Protocol, form: Form, values: Mapping[str, Any],
           errors: Mapping[str, str]) -> list[Field]:
    codelists = {c.id: c for c in protocol.codelists}
    asked = asked_given_entries(form, values, timezone.localdate(), codelists)
    result = []
    for item in form.items:
        kind = "derived" if item.derived else (
            "boolean" if item.type == "boolean" else
            "choice" if item.type == "choice" else INPUT_TYPES.get(item.type, "text"))
        options = tuple((str(c.code), c.decode) for c in codelists[item.codelist].items) \
            if item.codelist else ()
        step = "any" if item.type == "decimal" else "1"
        if item.range is not None and item.range.step is not None:
            step = f"{item.range.step:g}"
        result.append(Field(item, f"item-{item.id}", kind, _shown(item, values.get(item.id)),
                            options, errors.get(item.id, ""), step,
                            asked[item.id] or item.id in errors))
    return result


def _shown(item: Item, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if item.type == "datetime" and isinstance(value, str):
        try:  # stored as ISO 8601 with its offset; shown on the page's clock
            return entry_value(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def submitted(form: Form, post: QueryDict) -> tuple[dict[str, object], dict[str, str]]:
    """Item id → entered text (blank = not entered; a date and time is read on the page's
    clock and kept in UTC), and item id → why the input boundary refuses the entry."""
    data: dict[str, object] = {}
    refused: dict[str, str] = {}
    posted = Posted(post)
    for item in form.items:
        if item.derived:
            continue
        try:
            text = posted.text(f"item-{item.id}", required=False, as_field="item_value")
        except InvalidInputError as exc:
            data[item.id], refused[item.id] = None, exc.message
            continue
        if not text:
            data[item.id] = None
        elif item.type == "datetime":
            try:
                moment = parse_local_moment(text.strip(), timezone.get_current_timezone())
            except InputRefusedError as exc:
                data[item.id], refused[item.id] = None, read(exc.wording)
                continue
            data[item.id] = moment.isoformat()
        else:
            data[item.id] = text
    return data, {**date_problems(form, data), **refused}
