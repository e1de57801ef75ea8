"""A form's saved values as people read them: the item's label, a code list's decode, Yes or
No, a moment with its time zone, a number with its unit; never the item id or the stored
code (an item id beside a code-list code, "serious false")."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form, Item
from trialkit.web.pages.local_time import wall_clock

MISSING = "—"


def value_in_words(protocol: Protocol, item: Item | None, value: object) -> str:
    """One stored value in words; ``item`` None for a value whose item a later protocol
    version dropped (shown as stored)."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if item is None:
        return str(value)
    if item.type == "choice" and item.codelist is not None:
        return protocol.codelist(item.codelist).decode(value)
    if item.type == "datetime" and isinstance(value, str):
        return _moment(value)
    return str(value)


def _moment(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return wall_clock(moment)


def values_in_words(protocol: Protocol, form: Form,
                    data: dict[str, object]) -> list[tuple[str, str]]:
    """(label, value) of each saved item in the form's order, a number with its unit; items
    the form no longer has come last under their ids."""
    items = {item.id: item for item in form.items}
    ordered = [i.id for i in form.items if i.id in data] + [k for k in data if k not in items]
    rows = []
    for key in ordered:
        item = items.get(key)
        shown = value_in_words(protocol, item, data[key])
        if item is not None and item.unit and shown != MISSING:
            shown = f"{shown} {item.unit}"
        rows.append((item.label if item is not None else key, shown))
    return rows
