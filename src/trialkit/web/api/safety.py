"""Serious adverse events' 24-hour reporting clocks, and locking data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router

from trialkit.web.api.auth import actor_of
from trialkit.web.api.derived import derived, list_of
from trialkit.web.api.participants import ParticipantOut
from trialkit.web.api.schemas import Id, InSchema, ReasonIn, responses
from trialkit.web.boundary.api_types import MomentInput, TextInput
from trialkit.web.pages.readers import ParticipantSummary, participant_summary
from trialkit.web.trial.actions import adverse_events, locks
from trialkit.web.trial.capture_queries import ClockView, clock_view, sae_clocks
from trialkit.web.trial.lookups import form_record_for, participant_for

router = Router(tags=["safety and locks"])


ClockOut = derived(ClockView, "ClockOut", omit=frozenset({"time_left"}))
"""The safety page's own record (``capture_queries.ClockView``). ``time_left`` is left out: it
is relative to the moment the server read it; a client counts down from ``deadline``."""


@router.get("/serious-events", response=responses(list_of(ClockOut)))
def serious_events(request: HttpRequest, unreported: bool = False) -> list[ClockView]:
    """Serious events' reporting clocks at the actor's sites, most urgent first."""
    return sae_clocks(actor=actor_of(request), unreported=unreported)


class SeriousReportIn(InSchema):
    recipient: Annotated[str, TextInput("recipient")]
    """Who received the report (the sponsor's safety desk, the ethics committee)."""
    reference: Annotated[str, TextInput("reference", required=False)] = ""
    """The recipient's case number or the message's reference."""
    sent_at: Annotated[dt.datetime, MomentInput("sent_at")] | None = None
    """When it was sent; now if left out."""
    kind: Literal["initial", "follow_up"] = "initial"
    """The initial report stops the clock; follow-ups come after it."""


class AwarenessIn(InSchema):
    aware_at: Annotated[dt.datetime, MomentInput("aware_at")]
    reason: Annotated[str, TextInput("reason")]
    """How the site learnt of the event (a call, a discharge letter)."""


@router.post("/forms/{record_id}/serious-event-report", response=responses(ClockOut))
def report(request: HttpRequest, record_id: Id, body: SeriousReportIn) -> ClockView:
    """A report of a serious event was sent: the initial one stops the clock."""
    actor = actor_of(request)
    return clock_view(adverse_events.do_report_serious_event(
        form_record_for(actor, record_id), body.recipient, body.reference, body.sent_at,
        body.kind, actor=actor))


@router.post("/forms/{record_id}/serious-event-awareness", response=responses(ClockOut))
def awareness(request: HttpRequest, record_id: Id, body: AwarenessIn) -> ClockView:
    """When the site became aware of the serious event: the deadline counts from it."""
    actor = actor_of(request)
    return clock_view(adverse_events.do_record_sae_awareness(
        form_record_for(actor, record_id), body.aware_at, body.reason, actor=actor))


@router.post("/participants/{participant_id}/lock", response=responses(ParticipantOut))
def lock_participant(request: HttpRequest, participant_id: Id) -> ParticipantSummary:
    actor = actor_of(request)
    return participant_summary(locks.do_lock_participant(participant_for(actor, participant_id),
                                                     actor=actor))


@router.post("/participants/{participant_id}/unlock", response=responses(ParticipantOut))
def unlock_participant(request: HttpRequest, participant_id: Id,
                       body: ReasonIn) -> ParticipantSummary:
    actor = actor_of(request)
    return participant_summary(locks.do_unlock_participant(
        participant_for(actor, participant_id), body.reason, actor=actor))
