"""The audit trail page's listing: a page of events, newest first, filtered by exact values and
masked for the reader.

Blinded facts in old/new, and reasons that may hint at an arm, are masked by the function
``/api/audit/events`` uses (``api.redaction``); only the page's copies are changed, stored
events never are.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    return listing


def event_count() -> int:
    return AuditEvent.objects.count()
