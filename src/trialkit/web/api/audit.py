"""The audit trail, for roles that may view it: events by filter, and chain verification."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from trialkit.web.api.auth import actor_of
from trialkit.web.api.redaction import AuditRedactor, redactor_for
from trialkit.web.api.schemas import InSchema, TextInput, responses
from trialkit.web.boundary.fields import ID_MAX
from trialkit.web.trial.audit import verify_chain
from trialkit.web.trial.models import AuditEvent

router = Router(tags=["audit"])


class EventOut(Schema):
    sequence: int
    occurred_at: dt.datetime
    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    old: Any
    new: Any
    reason: str
    protocol_version: str
    hash: str


class EventFilter(InSchema):
    object_type: Annotated[str, TextInput("object_type")] | None = None
    object_id: Annotated[str, TextInput("object_id")] | None = None
    actor: Annotated[str, TextInput("actor")] | None = None
    action: Annotated[str, TextInput("action")] | None = None
    after: Annotated[int, Field(ge=0, le=ID_MAX)] = 0
    """Only events with a sequence number above this (for paging)."""
    limit: Annotated[int, Field(ge=1, le=1000)] = 200


class ProblemOut(Schema):
    sequence: int
    problem: str


class VerifyOut(Schema):
    intact: bool
    events: int
    problems: list[ProblemOut]


@router.get("/audit/events", response=responses(list[EventOut]))
def events(request: HttpRequest, filters: Query[EventFilter]) -> list[EventOut]:
    """Events in sequence order; blinded facts in old/new are masked for blinded roles."""
    actor = actor_of(request)
    actor.require("view_audit")
    rows = AuditEvent.objects.filter(sequence__gt=filters.after)
    for name in ("object_type", "object_id", "actor", "action"):
        value = getattr(filters, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    redactor = redactor_for(actor)
    return [_event_out(e, redactor) for e in rows.order_by("sequence")[:filters.limit]]


def _event_out(e: AuditEvent, redactor: AuditRedactor) -> EventOut:
    shown = redactor.event(e)
    return EventOut(sequence=e.sequence, occurred_at=e.occurred_at, actor=e.actor,
                    actor_role=e.actor_role, action=e.action, object_type=e.object_type,
                    object_id=e.object_id, old=shown.old, new=shown.new, reason=shown.reason,
                    protocol_version=e.protocol_version, hash=e.hash)


@router.get("/audit/verify", response=responses(VerifyOut))
def verify(request: HttpRequest) -> VerifyOut:
    actor_of(request).require("view_audit")
    problems = verify_chain()
    return VerifyOut(intact=not problems, events=AuditEvent.objects.count(),
                     problems=[ProblemOut(sequence=p.sequence, problem=p.problem)
                               for p in problems])
