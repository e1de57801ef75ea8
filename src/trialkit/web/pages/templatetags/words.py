"""Template filters that put a stored code into the words of the protocol or of trialkit:
``{{ role_names|lookup:v.saved_role }}`` (every page has ``role_names``), ``{{ role.can|
permissions }}``, ``{{ role.sees|information }}``, and a moment on the page's clock with its
offset: ``{{ dose.given_at|moment }}`` (``2026-12-03 09:30 UTC+8``); and the one markup of an
ISO date or date-and-time field: ``{% date_input "as_of" as_of %}``, ``{% moment_input
"sent_at" now id="sent_at" suffix=c.record_id %}``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from trialkit.core.analysis.catalogue import METHODS
from trialkit.web.pages.local_time import (
    DATE_PATTERN,
    MOMENT_PATTERN,
    entry_value,
    wall_clock,
)
from trialkit.web.pages.vocabulary import (
    INFORMATION_WORDS,
    PERMISSION_WORDS,
    participant_status,
)
from trialkit.web.trial import wording
from trialkit.web.trial.study import VersionView

register = template.Library()


@register.filter
def lookup(mapping: Mapping[str, str] | None, key: str) -> str:
    """The words for ``key`` in ``mapping``; the key itself when it has none (a role an
    amendment removed, an empty role)."""
    return (mapping or {}).get(key, key)


@register.filter
def permissions(codes: Iterable[str]) -> str:
    return "; ".join(_(PERMISSION_WORDS[code]) if code in PERMISSION_WORDS else code
                     for code in codes)


@register.filter
def information(codes: Iterable[str]) -> str:
    return "; ".join(_(INFORMATION_WORDS[code]) if code in INFORMATION_WORDS else code
                     for code in codes)


register.filter("participant_status", participant_status)
register.filter("sentence", wording.sentence_of)
register.filter("verdict_name", wording.name_of)
register.filter("worded", wording.read)


@register.filter
def protocol_version(version: VersionView | None) -> str:
    """A protocol version as people read it, in the page's language: "amendment 1
    (3f9a0c21d4e2)", "original version (…)" (``str(version)`` is the English of records)."""
    if version is None:
        return ""
    if version.amendment:
        return _("amendment %(number)s (%(short)s)") % {"number": version.amendment,
                                                        "short": version.short}
    return _("original version (%(short)s)") % {"short": version.short}


@register.filter
def moment(value: dt.datetime | None) -> str:
    return "" if value is None else wall_clock(value)


RANDOMIZATION_METHOD_WORDS = {"permuted_blocks": gettext_noop("permuted blocks"),
                              "minimisation": gettext_noop("minimisation")}
"""English, marked for translation: ``randomization_method`` translates them for the page."""


@register.filter
def analysis_method(name: str) -> str:
    """An analysis method by what it computes (the catalogue's summary), not its name."""
    found = METHODS.get(name)
    return found.summary[:1].upper() + found.summary[1:] if found else name.replace("_", " ")


@register.filter
def randomization_method(name: str) -> str:
    if name in RANDOMIZATION_METHOD_WORDS:
        return _(RANDOMIZATION_METHOD_WORDS[name])
    return name.replace("_", " ")


@register.inclusion_tag("pages/_iso_input.html")
def date_input(name: str, value: Any = "", *, id: str = "", suffix: Any = "",
               required: bool = True, hint: str = "") -> dict[str, Any]:
    """A date typed as ``YYYY-MM-DD`` text: a browser's date control follows its locale."""
    shown = f"{value:%Y-%m-%d}" if isinstance(value, dt.date) else value
    return {**_field(name, id, suffix, shown, required, hint),
            "pattern": DATE_PATTERN, "placeholder": "YYYY-MM-DD", "numeric": True}


@register.inclusion_tag("pages/_iso_input.html")
def moment_input(name: str, value: Any = "", *, id: str = "", suffix: Any = "",
                 required: bool = True, hint: str = "") -> dict[str, Any]:
    """A date and time on the page's clock, typed ``YYYY-MM-DD HH:MM`` (24-hour)."""
    shown = entry_value(value) if isinstance(value, dt.datetime) else value
    return {**_field(name, id, suffix, shown, required, hint),
            "pattern": MOMENT_PATTERN, "placeholder": "YYYY-MM-DD HH:MM", "numeric": False}


def _field(name: str, id: str, suffix: Any, shown: Any, required: bool,
           hint: str) -> dict[str, Any]:
    # A page with one such field per row (a visit, a serious event) tells them apart by suffix.
    field_id = (id or name) + ("" if suffix in ("", None) else f"-{suffix}")
    return {"name": name, "id": field_id, "value": shown or "", "required": required,
            "hint": hint}
