"""The audit trail page's listing: a page of events, newest first, filtered by exact values and
masked for the reader.

Blinded facts in old/new, and reasons that may hint at an arm, are masked by the function
``/api/audit/events`` uses (``api.redaction``); only the page's copies are changed, stored
events never are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.web.api.redaction import redactor_for
from trialkit.web.pages.audit_words import ACTION_WORDS, action_in_words, object_type_in_words
from trialkit.web.pages.item_values import values_in_words
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.models import AuditEvent

AUDIT_PAGE = 100


def trail_page(actor: Actor, filters: Mapping[str, str], page: str) -> Page[AuditEvent]:
    """``filters``: field → value, each already read through the input boundary; a blank
    value does not filter."""
    listing = Paginator(_filtered(filters).order_by("-sequence"), AUDIT_PAGE).get_page(page)
    for _ in shown_events(actor, listing):
        pass  # annotates the page's events in place
    return listing


def trail_events(actor: Actor, filters: Mapping[str, str]) -> Iterator[AuditEvent]:
    """Every event the filters select, oldest first, masked and in words (an export)."""
    return shown_events(actor, _filtered(filters).order_by("sequence").iterator(2000))


def shown_events(actor: Actor, events: Iterable[AuditEvent]) -> Iterator[AuditEvent]:
    """Each event masked for ``actor`` (only the copies: stored events never change) and
    given its words: ``action_shown``, ``object_shown``, ``role_name``, and ``old_shown`` /
    ``new_shown`` as (field, value) pairs."""
    redactor = redactor_for(actor)
    protocol = actor.protocol()
    words = codebook(protocol)
    roles = {r.id: r.name for r in protocol.roles}
    for event in events:
        shown = redactor.event(event)
        event.old, event.new, event.reason = shown.old, shown.new, shown.reason
        event.old_shown, event.new_shown = in_words(shown.old, words), in_words(shown.new, words)
        event.action_shown = action_in_words(event.action)
        event.object_shown = object_type_in_words(event.object_type)
        event.role_name = roles.get(event.actor_role, event.actor_role)
        yield event


def _filtered(filters: Mapping[str, str]) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    for key, value in filters.items():
        if value:
            events = events.filter(**{key: value})
    return events


STATUS_WORDS = {"met": "met", "not_met": "not met", "unknown": "unknown",
                "eligible": "eligible", "not_eligible": "not eligible",
                "needs_judgement": "needs the investigator's judgement"}
"""The eligibility results stored in events (``judged: {"E10": "not_met"}``)."""


class Codebook(dict[str, str]):
    """Stored codes an event's values may hold, with their words; and the protocol, whose
    forms put a saved form's items in words (``{"form": "AE", "items": {...}}``)."""

    def __init__(self, words: Mapping[str, str], protocol: Protocol | None = None) -> None:
        super().__init__(words)
        self.protocol = protocol


def codebook(protocol: Protocol) -> Codebook:
    """Statuses, the protocol's visits, forms, administrations and roles, and the audit
    actions a refusal names, with their words."""
    words = {code.value: text.lower() for code, text in ACTION_WORDS.items()}
    words |= {r.id: r.name for r in protocol.roles}
    words |= {a.id: a.name for a in protocol.design.administrations}
    words |= {f.id: f.name for f in protocol.forms}
    words |= {v.id: v.name for v in protocol.schedule.visits}
    return Codebook(words | STATUS_WORDS, protocol)


def in_words(change: Any, words: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """An event's old or new values as (field, value) pairs people read: "consent date:
    2026-11-02", not the stored mapping's Python form ``{'consent_date': '2026-11-02'}``.
    A value that is not a mapping is one pair with no field. A value that is a code in
    ``words`` (a status, a visit id) is shown in its words."""
    if change is None:
        return []
    if isinstance(change, Mapping):
        protocol = getattr(words, "protocol", None)
        form = _form_of(change, protocol)
        return [(_field_in_words(str(key)), _items_in_words(protocol, form, value)
                 if key == "items" and protocol is not None and form is not None
                 and isinstance(value, Mapping)
                 else _field_in_words(value) if key == "field" and isinstance(value, str)
                 else _value_in_words(value, words or {}))
                for key, value in change.items()]
    return [("", _value_in_words(change, words or {}))]


def _form_of(change: Mapping[str, Any], protocol: Protocol | None) -> Form | None:
    """The protocol form a saved form's values belong to (``form`` beside ``items``)."""
    form_id = change.get("form")
    if protocol is None or not isinstance(form_id, str) or "items" not in change:
        return None
    return next((f for f in protocol.forms if f.id == form_id), None)


def _items_in_words(protocol: Protocol, form: Form, items: Mapping[str, Any]) -> str:
    """A form's saved items by their labels, a code by its decode ("Relation to the puncture
    procedure: Not related"), as the form's own page shows them."""
    shown = values_in_words(protocol, form, dict(items))
    return "; ".join(f"{label}: {value}" for label, value in shown) or "—"


def _field_in_words(key: str) -> str:
    # ``consent_date``, and the field a refusal names, which may be a gate check's id
    # (``committee.days_elapsed``), read as words; a criterion id (``E10``) is the
    # protocol's own reference and stays.
    return key.replace("_", " ").replace(".", ": ")


def _value_in_words(value: Any, words: Mapping[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {text}" for key, text in in_words(value, words)) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(_value_in_words(item, words) for item in value) or "none"
    if isinstance(value, str) and value in words:
        return words[value]
    return str(value)


def event_count() -> int:
    return AuditEvent.objects.count()
