"""The audit trail page's listing: a page of events, newest first, filtered by exact values and
masked for the reader.

Blinded facts in old/new, and reasons that may hint at an arm, are masked by the function
``/api/audit/events`` uses (``api.redaction``); only the page's copies are changed, stored
events never are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.paginator import Page, Paginator

from trialkit.web.api.redaction import redactor_for
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.models import AuditEvent

AUDIT_PAGE = 100


def trail_page(actor: Actor, filters: Mapping[str, str], page: str) -> Page[AuditEvent]:
    """``filters``: field → value, each already read through the input boundary; a blank
    value does not filter."""
    events = AuditEvent.objects.order_by("-sequence")
    for key, value in filters.items():
        if value:
            events = events.filter(**{key: value})
    listing = Paginator(events, AUDIT_PAGE).get_page(page)
    redactor = redactor_for(actor)
    for event in listing:
        shown = redactor.event(event)
        event.old, event.new, event.reason = shown.old, shown.new, shown.reason
        event.old_shown, event.new_shown = in_words(shown.old), in_words(shown.new)
    return listing


def in_words(change: Any) -> list[tuple[str, str]]:
    """An event's old or new values as (field, value) pairs people read: "consent date:
    2026-11-02", not the stored mapping's Python form ``{'consent_date': '2026-11-02'}``.
    A value that is not a mapping is one pair with no field."""
    if change is None:
        return []
    if isinstance(change, Mapping):
        return [(str(key).replace("_", " "), _value_in_words(value))
                for key, value in change.items()]
    return [("", _value_in_words(change))]


def _value_in_words(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {text}" for key, text in in_words(value)) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(_value_in_words(item) for item in value) or "none"
    return str(value)


def event_count() -> int:
    return AuditEvent.objects.count()
