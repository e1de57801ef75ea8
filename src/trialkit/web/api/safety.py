"""Serious adverse events' 24-hour reporting clocks, and locking data."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from trialkit.web.api.auth import actor_of
from trialkit.web.api.participants import ParticipantOut, participant_out
from trialkit.web.api.schemas import Id, ReasonIn, responses
from trialkit.web.trial.actions import adverse_events, locks
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.lookups import form_record_for, participant_for
from trialkit.web.trial.models import SeriousEventClock
from trialkit.web.trial.scope import in_scope

router = Router(tags=["safety and locks"])


class ClockOut(Schema):
    record_id: int
    participant_id: int
    aware_at: dt.datetime
    deadline: dt.datetime
    reported_at: dt.datetime | None
    reported_by: str
    overdue: bool


def _clock_out(c: SeriousEventClock, now: dt.datetime) -> ClockOut:
    return ClockOut(record_id=c.record_id, participant_id=c.record.participant_id,
                    aware_at=c.aware_at, deadline=c.deadline, reported_at=c.reported_at,
                    reported_by=c.reported_by,
                    overdue=(c.reported_at or now) > c.deadline)


@router.get("/serious-events", response=responses(list[ClockOut]))
def serious_events(request: HttpRequest, unreported: bool = False) -> list[ClockOut]:
    """Serious events' reporting clocks at the actor's sites, most urgent first."""
    actor = actor_of(request)
    rows = readable(actor, SeriousEventClock.objects.select_related("record").order_by(
        "deadline"), "record")
    rows = in_scope(actor, rows, "record__participant")
    if unreported:
        rows = rows.filter(reported_at__isnull=True)
    now = dt.datetime.now(dt.UTC)
    return [_clock_out(c, now) for c in rows]


@router.post("/forms/{record_id}/serious-event-report", response=responses(ClockOut))
def report(request: HttpRequest, record_id: Id) -> ClockOut:
    """The initial report of a serious event was sent to the sponsor (stops the clock)."""
    actor = actor_of(request)
    clock = adverse_events.do_report_serious_event(form_record_for(actor, record_id),
                                                   actor=actor)
    return _clock_out(clock, dt.datetime.now(dt.UTC))


@router.post("/participants/{participant_id}/lock", response=responses(ParticipantOut))
def lock_participant(request: HttpRequest, participant_id: Id) -> ParticipantOut:
    actor = actor_of(request)
    return participant_out(locks.do_lock_participant(participant_for(actor, participant_id),
                                                     actor=actor))


@router.post("/participants/{participant_id}/unlock", response=responses(ParticipantOut))
def unlock_participant(request: HttpRequest, participant_id: Id,
                       body: ReasonIn) -> ParticipantOut:
    actor = actor_of(request)
    return participant_out(locks.do_unlock_participant(
        participant_for(actor, participant_id), body.reason, actor=actor))
