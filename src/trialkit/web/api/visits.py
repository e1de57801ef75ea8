"""A participant's scheduled visits, doses given and protocol deviations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import (
    DateInput,
    Id,
    InSchema,
    MomentInput,
    TextInput,
    VisitId,
    responses,
)
from trialkit.web.trial.actions import dosing
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.models import Administration, Deviation, ScheduledVisit
from trialkit.web.trial.queries_schedule import VisitRow, status_of, visit_schedule
from trialkit.web.trial.study import protocol_of

router = Router(tags=["visits and dosing"])


class VisitOut(Schema):
    visit_id: str
    name: str
    target_date: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    done_on: dt.date | None
    status: str
    """done, missed, upcoming, due or overdue (today, on the server's calendar)."""


class DoneIn(InSchema):
    done_on: Annotated[dt.date, DateInput("done_on")]


class MissedIn(InSchema):
    reason: Annotated[str, TextInput("reason")]


class DoseIn(InSchema):
    administration_id: Annotated[str, TextInput("administration_id")]
    given_at: Annotated[dt.datetime, MomentInput("given_at")]
    kit_code: Annotated[str, TextInput("kit_code", required=False)] = ""
    override_reason: Annotated[str, TextInput("override_reason", required=False)] = ""
    """Only to dose against a gate (investigators); it is recorded as a deviation."""


class DoseCorrectionIn(InSchema):
    given_at: Annotated[dt.datetime, MomentInput("given_at")]
    """The corrected time, on the same calendar day as the dose recorded."""
    reason: Annotated[str, TextInput("reason")]
    kit_code: Annotated[str, TextInput("kit_code", required=False)] = ""
    """A corrected preparation code; empty keeps the one recorded."""


class DoseOut(Schema):
    administration_id: str
    given_at: dt.datetime
    kit_code: str
    recorded_by: str
    override_reason: str


class DeviationOut(Schema):
    kind: str
    description: str
    occurred_on: dt.date
    recorded_at: dt.datetime
    visit_id: str
    administration_id: str


def _visit_out(v: ScheduledVisit | VisitRow) -> VisitOut:
    if isinstance(v, ScheduledVisit):
        protocol = protocol_of(v.participant.study)
        v = VisitRow(v.visit_id, protocol.visit(v.visit_id).name, v.target_date, v.earliest,
                     v.latest, v.done_on, status_of(v, today()))
    return VisitOut(visit_id=v.visit_id, name=v.name, target_date=v.target_date,
                    earliest=v.earliest, latest=v.latest, done_on=v.done_on, status=v.status)


def _dose_out(d: Administration) -> DoseOut:
    return DoseOut(administration_id=d.administration_id, given_at=d.given_at,
                   kit_code=d.kit_code, recorded_by=d.recorded_by.get_username(),
                   override_reason=d.override_reason)


@router.get("/participants/{participant_id}/visits", response=responses(list[VisitOut]))
def visits(request: HttpRequest, participant_id: Id) -> list[VisitOut]:
    actor = actor_of(request)
    return [_visit_out(v) for v in visit_schedule(participant_for(actor, participant_id), actor)]


@router.post("/participants/{participant_id}/visits/{visit_id}/done",
             response=responses(VisitOut))
def visit_done(request: HttpRequest, participant_id: Id, visit_id: VisitId,
               body: DoneIn) -> VisitOut:
    actor = actor_of(request)
    return _visit_out(dosing.do_record_visit(participant_for(actor, participant_id), visit_id,
                                             body.done_on, actor=actor))


@router.post("/participants/{participant_id}/visits/{visit_id}/missed",
             response=responses(VisitOut))
def visit_missed(request: HttpRequest, participant_id: Id, visit_id: VisitId,
                 body: MissedIn) -> VisitOut:
    actor = actor_of(request)
    return _visit_out(dosing.do_record_missed_visit(participant_for(actor, participant_id),
                                                    visit_id, body.reason, actor=actor))


@router.get("/participants/{participant_id}/administrations", response=responses(list[DoseOut]))
def administrations(request: HttpRequest, participant_id: Id) -> list[DoseOut]:
    found = participant_for(actor_of(request), participant_id)
    rows = found.administrations.select_related("recorded_by").order_by("given_at")
    return [_dose_out(d) for d in rows]


@router.post("/participants/{participant_id}/administrations", response=responses(DoseOut, 201))
def record_dose(request: HttpRequest, participant_id: Id, body: DoseIn) -> Status[DoseOut]:
    actor = actor_of(request)
    dose = dosing.do_record_administration(
        participant_for(actor, participant_id), body.administration_id, body.given_at,
        body.kit_code, actor=actor, override_reason=body.override_reason)
    return Status(201, _dose_out(dose))


@router.post("/participants/{participant_id}/administrations/{administration_id}/correction",
             response=responses(DoseOut))
def correct_dose(request: HttpRequest, participant_id: Id,
                 administration_id: Annotated[str, TextInput("administration_id")],
                 body: DoseCorrectionIn) -> DoseOut:
    """Correct a recorded dose's time (and preparation code) with a reason, on its own day;
    the administration form it filled follows."""
    actor = actor_of(request)
    dose = dosing.do_correct_administration(
        participant_for(actor, participant_id), administration_id, body.given_at, body.reason,
        kit_code=body.kit_code or None, actor=actor)
    return _dose_out(dose)


@router.get("/participants/{participant_id}/deviations", response=responses(list[DeviationOut]))
def deviations(request: HttpRequest, participant_id: Id) -> list[DeviationOut]:
    found = participant_for(actor_of(request), participant_id)
    rows: list[Deviation] = list(found.deviations.order_by("occurred_on", "id"))
    return [DeviationOut(kind=d.kind, description=d.description, occurred_on=d.occurred_on,
                         recorded_at=d.recorded_at, visit_id=d.visit_id,
                         administration_id=d.administration_id) for d in rows]
